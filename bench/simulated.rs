//! A simulated month of an Arequipa-sized observatory, for the privacy utility benchmark:
//! planned trips, incident reports and survey answers with a realistic mix of categories,
//! genders, hours, routes and places. Deterministic for a seed.
//!
//! The mix follows what the Arequipa and Trujillo programmes describe: most reports are
//! robbery, harassment and driving; most reporters who give a gender are women; trips peak at
//! 6–8 and 17–19; places concentrate downtown and along the busiest corridors; a minority of
//! riders use the bot (their records share one person, so the per-person bounds bite), the
//! rest come from the web page and the API, one record per person.

use crate::Rng;
use store::{
    BestJourney, Channel, Gender, NewReport, NewSurvey, Profile, Purpose, Status, TripRecord,
};
use timetable::Timetable;

/// One simulated report: what was filed, when it arrived, and how officials handled it.
#[derive(Debug, Clone)]
pub struct SimReport {
    /// The report.
    pub report: NewReport,
    /// When it arrived (Unix seconds).
    pub reported_at: i64,
    /// Hours after arrival it was acknowledged, then closed (if at all).
    pub handling: Option<(u32, Option<u32>)>,
}

/// A month of records.
#[derive(Debug, Clone, Default)]
pub struct Month {
    /// Planned trips.
    pub trips: Vec<TripRecord>,
    /// Reports.
    pub reports: Vec<SimReport>,
    /// Survey answers.
    pub surveys: Vec<NewSurvey>,
}

/// Sizes of a simulated month.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Planned trips.
    pub trips: usize,
    /// Reports.
    pub reports: usize,
    /// Survey answers.
    pub surveys: usize,
    /// Bot riders (share one person across their records).
    pub riders: usize,
}

impl Sizes {
    /// The month: about 20,000 reports and 200,000 trips.
    pub const AREQUIPA: Sizes = Sizes {
        trips: 200_000,
        reports: 20_000,
        surveys: 8_000,
        riders: 6_000,
    };
}

/// Picks an index by weights.
fn pick(rng: &mut Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.unit() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// Category weights (keys of `observatory::DEFAULT_CATEGORIES`, in order): robbery, verbal and
/// physical harassment, dangerous driving and overcrowding lead.
const CATEGORY_WEIGHTS: [(&str, f64); 20] = [
    ("acoso_verbal", 14.0),
    ("acoso_fisico", 6.0),
    ("acoso_exhibicionismo", 2.0),
    ("acoso_tocamientos", 5.0),
    ("agresion_verbal", 5.0),
    ("agresion_fisica", 2.0),
    ("agresion_identidad", 1.0),
    ("robo", 18.0),
    ("inseguridad", 7.0),
    ("sobrecarga", 8.0),
    ("espera_larga", 7.0),
    ("desvio_ruta", 3.0),
    ("rechazo_estudiante", 3.0),
    ("rechazo_discapacidad", 1.0),
    ("rechazo_adulto_mayor", 1.5),
    ("sin_accesibilidad", 1.5),
    ("conduccion_peligrosa", 8.0),
    ("paradero_inseguro", 3.0),
    ("cobro_indebido", 3.0),
    ("otro", 1.0),
];

/// Hour-of-day weights of trips and incidents: morning and evening peaks.
const HOUR_WEIGHTS: [f64; 24] = [
    0.2, 0.1, 0.1, 0.1, 0.4, 1.5, 4.0, 6.0, 5.0, 3.0, 2.5, 2.5, 3.0, 3.0, 2.5, 2.5, 3.0, 4.5, 5.5,
    5.0, 3.5, 2.0, 1.0, 0.5,
];

fn gender(rng: &mut Rng, women: f64) -> Option<Gender> {
    // Of those who say: women, men, non-binary, prefer not to say.
    let w = [women, 1.0 - women - 0.04, 0.015, 0.025];
    Some(
        [
            Gender::Woman,
            Gender::Man,
            Gender::NonBinary,
            Gender::Undisclosed,
        ][pick(rng, &w)],
    )
}

/// Generates a month starting at local midnight `first` (Unix seconds) of `days` days.
pub fn month(tt: &Timetable, sizes: Sizes, first: i64, days: u32, seed: u64) -> Month {
    let mut rng = Rng(seed | 1);
    let routes: Vec<String> = tt.routes().iter().map(|r| r.id.clone()).collect();
    // Routes by popularity: a few trunk routes carry most riders (Zipf, s = 1).
    let route_w: Vec<f64> = (0..routes.len()).map(|i| 1.0 / (i as f64 + 1.0)).collect();
    // Places: stops weighted towards the centre (Plaza de Armas), the corridors' share.
    let (clat, clon) = (-16.3989, -71.5369);
    let stops: Vec<(f64, f64)> = tt
        .stops()
        .iter()
        .map(|s| (s.coord.lat(), s.coord.lon()))
        .collect();
    let stop_w: Vec<f64> = stops
        .iter()
        .map(|(la, lo)| {
            let d_km = ((la - clat).powi(2) + (lo - clon).powi(2)).sqrt() * 111.0;
            1.0 / (1.0 + d_km / 1.5).powi(2)
        })
        .collect();
    let day_s = 86_400i64;
    let at_in_month = |rng: &mut Rng, hour: usize| -> i64 {
        let day = rng.below(u64::from(days)) as i64;
        first + day * day_s + hour as i64 * 3600 + rng.below(3600) as i64
    };
    let riders: Vec<String> = (0..sizes.riders)
        .map(|i| store::sha256_hex(&format!("rider-{seed}-{i}")))
        .collect();
    // Bot riders are a minority of records; heavy users plan many trips.
    let rider = |rng: &mut Rng, share: f64| -> Option<String> {
        (rng.unit() < share).then(|| {
            let i = (rng.unit().powi(2) * riders.len() as f64) as usize;
            riders[i.min(riders.len() - 1)].clone()
        })
    };

    let mut m = Month::default();
    for _ in 0..sizes.trips {
        let hour = pick(&mut rng, &HOUR_WEIGHTS);
        let planned_at = at_in_month(&mut rng, hour);
        let consent = rng.unit() < 0.45;
        let profile = consent.then(|| Profile {
            gender: gender(&mut rng, 0.55),
            purpose: Some(Purpose::ALL[pick(&mut rng, &[30.0, 18.0, 14.0, 8.0, 12.0, 8.0, 4.0])]),
            ..Profile::default()
        });
        let found = rng.unit() < 0.92;
        let best = found.then(|| {
            let legs = 1 + pick(&mut rng, &[60.0, 32.0, 8.0]);
            BestJourney {
                travel_s: 900 + rng.below(3600) as i32,
                wait_s: 60 + rng.below(1200) as i32,
                walk_s: 120 + rng.below(900) as i32,
                transfers: legs as i32 - 1,
                routes: (0..legs)
                    .map(|_| routes[pick(&mut rng, &route_w)].clone())
                    .collect(),
            }
        });
        let r = rider(&mut rng, 0.25);
        m.trips.push(TripRecord {
            planned_at,
            local_day: String::new(),
            local_hour: hour as u8,
            channel: if r.is_some() {
                Channel::Bot
            } else {
                Channel::Web
            },
            origin_zone: String::new(),
            dest_zone: String::new(),
            best,
            profile,
            rider: r,
            // Some evening riders ask for the safer option (without drawing from the
            // generator, so the rest of the month is as before).
            safer: hour >= 18 && planned_at % 7 == 0,
        });
    }
    let cat_w: Vec<f64> = CATEGORY_WEIGHTS.iter().map(|(_, w)| *w).collect();
    for i in 0..sizes.reports {
        let c = pick(&mut rng, &cat_w);
        let category = CATEGORY_WEIGHTS[c].0;
        let harassment = category.starts_with("acoso");
        let hour = pick(&mut rng, &HOUR_WEIGHTS);
        let reported_at = at_in_month(&mut rng, hour);
        let (la, lo) = stops[pick(&mut rng, &stop_w)];
        // Within about 150 m of the stop.
        let lat = la + (rng.unit() - 0.5) * 0.0027;
        let lon = lo + (rng.unit() - 0.5) * 0.0027;
        let says = rng.unit() < 0.7;
        let g = if says {
            gender(&mut rng, if harassment { 0.9 } else { 0.6 })
        } else {
            None
        };
        let r = rider(&mut rng, 0.2);
        let handling = (rng.unit() < 0.7).then(|| {
            let ack = 1 + rng.below(96) as u32;
            let closed = (rng.unit() < 0.6).then(|| ack + rng.below(200) as u32);
            (ack, closed)
        });
        m.reports.push(SimReport {
            report: NewReport {
                category: category.into(),
                lat: Some(lat),
                lon: Some(lon),
                stop_id: None,
                route_id: (rng.unit() < 0.65).then(|| routes[pick(&mut rng, &route_w)].clone()),
                zone: observatory::zone::zone_of(lat, lon, 500.0),
                occurred_at: reported_at - rng.below(3 * 3600) as i64,
                occurred_at_given: true,
                local_hour: hour as u8,
                description: Some(format!("reporte simulado {i}")),
                gender: g,
                age_band: None,
                channel: if r.is_some() {
                    Channel::Bot
                } else {
                    Channel::Web
                },
                rider: r,
                actors: store::RoadActors::default(),
            },
            reported_at,
            handling,
        });
    }
    for _ in 0..sizes.surveys {
        let hour = pick(&mut rng, &HOUR_WEIGHTS);
        let r = rider(&mut rng, 0.5);
        let g = gender(&mut rng, 0.6);
        let woman = g == Some(Gender::Woman);
        // Women and night riders feel less safe.
        let night = !(6..20).contains(&hour);
        let base = 3.6 - if woman { 0.9 } else { 0.0 } - if night { 0.7 } else { 0.0 };
        let score = |rng: &mut Rng, base: f64| -> u8 {
            (base + (rng.unit() - 0.5) * 2.5).round().clamp(1.0, 5.0) as u8
        };
        m.surveys.push(NewSurvey {
            answered_at: at_in_month(&mut rng, hour),
            local_hour: hour as u8,
            route_id: Some(routes[pick(&mut rng, &route_w)].clone()),
            safety: Some(score(&mut rng, base)),
            satisfaction: (rng.unit() < 0.8).then(|| score(&mut rng, 3.2)),
            gender: g,
            age_band: None,
            channel: if r.is_some() {
                Channel::Bot
            } else {
                Channel::Web
            },
            rider: r,
        });
    }
    m
}

/// Stores a month: trips in batches, reports one by one as they arrived, then the officials'
/// status changes at the simulated hours.
pub async fn seed(store: &store::Store, m: &Month) -> Result<(), store::StoreError> {
    for chunk in m.trips.chunks(10_000) {
        store.record_trips(chunk).await?;
    }
    for r in &m.reports {
        let created = store.create_report(&r.report, None, r.reported_at).await?;
        if let Some((ack, closed)) = r.handling {
            let case = &created.report.reference;
            let at = r.reported_at + i64::from(ack) * 3600;
            store
                .change_status(case, Status::Acknowledged, "visto", "bench", at)
                .await?;
            if let Some(c) = closed {
                let at = r.reported_at + i64::from(c) * 3600;
                store
                    .change_status(case, Status::Closed, "resuelto", "bench", at)
                    .await?;
            }
        }
    }
    for s in &m.surveys {
        store.add_survey(s).await?;
    }
    Ok(())
}
