//! From GTFS files to a [`TimetableBuilder`], one feed after another.

use crate::source::{FILES, Source};
use crate::table::{Row, Table};

use crate::{GtfsError, Warnings};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use timetable::footpaths::{TransferKind, TransferSpec};
use timetable::time::parse_time;
use timetable::*;

/// A feed to load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedSpec {
    /// Namespace for its ids; defaults to the file name without extension.
    pub id: String,
    /// Zip file or folder.
    pub path: PathBuf,
}

impl FeedSpec {
    /// A feed whose id is its file name without extension (`feeds/arequipa.zip` → `arequipa`).
    pub fn from_path(path: impl Into<PathBuf>) -> FeedSpec {
        let path = path.into();
        let id = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .map(|n| n.strip_suffix(".zip").map(str::to_string).unwrap_or(n))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "feed".to_string());
        FeedSpec { id, path }
    }
}

/// How to load.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadConfig {
    /// Layout parameters (footpaths).
    pub build: BuildConfig,
    /// What a feed may make the loader read.
    pub limits: crate::source::Limits,
}

/// A loaded timetable and what was skipped on the way.
#[derive(Debug)]
pub struct Loaded {
    /// The timetable.
    pub timetable: Timetable,
    /// Recoverable problems, grouped by kind.
    pub warnings: Warnings,
    /// Wall time to read, parse and lay out.
    pub elapsed: Duration,
}

/// Loads several feeds into one timetable, ids namespaced per feed (`arequipa:1234`).
pub fn load(feeds: &[FeedSpec], cfg: &LoadConfig) -> Result<Loaded, GtfsError> {
    let t0 = Instant::now();
    let mut seen = HashMap::new();
    for f in feeds {
        if seen.insert(f.id.clone(), ()).is_some() {
            return Err(GtfsError::DuplicateFeedId(f.id.clone()));
        }
    }
    let mut b = TimetableBuilder::new();
    let mut warnings = Warnings::default();
    for spec in feeds {
        let files = read_files(spec, &cfg.limits)?;
        load_feed(&mut b, spec, &files, &mut warnings)?;
    }
    if let Some(first) = b.feeds().first()
        && let Some(other) = b.feeds().iter().find(|f| f.timezone != first.timezone)
    {
        return Err(GtfsError::MixedTimezones {
            a: first.id.clone(),
            tz_a: first.timezone.clone(),
            b: other.id.clone(),
            tz_b: other.timezone.clone(),
        });
    }
    let timetable = b.build(&cfg.build, &mut warnings);
    Ok(Loaded {
        timetable,
        warnings,
        elapsed: t0.elapsed(),
    })
}

struct Files {
    tables: HashMap<&'static str, Table>,
}

impl Files {
    fn get(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }
    fn need(&self, feed: &str, name: &'static str) -> Result<&Table, GtfsError> {
        self.tables.get(name).ok_or(GtfsError::MissingFile {
            feed: feed.to_string(),
            file: name,
        })
    }
}

/// Reads and parses every file of a feed, in parallel, within the limits.
fn read_files(
    spec: &FeedSpec,
    limits: &crate::source::Limits,
) -> Result<(Files, Warnings), GtfsError> {
    let source = Source::open(&spec.path)?;
    let total = std::sync::atomic::AtomicU64::new(0);
    let parsed: Vec<Result<Option<(Table, Warnings)>, GtfsError>> = FILES
        .par_iter()
        .map(|&name| {
            let mut w = Warnings::default();
            Ok(source
                .table(name, &spec.id, limits, &total, &mut w)?
                .map(|t| (t, w)))
        })
        .collect();
    let mut tables = HashMap::new();
    let mut warnings = Warnings::default();
    for r in parsed {
        if let Some((t, w)) = r? {
            warnings.merge(w);
            tables.insert(t.file, t);
        }
    }
    Ok((Files { tables }, warnings))
}

fn ns(feed: &str, id: &str) -> String {
    format!("{feed}:{id}")
}

fn parse_num<T: std::str::FromStr>(
    t: &Table,
    row: Row<'_>,
    c: crate::table::Col,
) -> Result<Option<T>, GtfsError> {
    match row.get(c) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| t.field_error(row, c, format!("`{v}` is not a valid number"))),
    }
}

fn load_feed(
    b: &mut TimetableBuilder,
    spec: &FeedSpec,
    files: &(Files, Warnings),
    w: &mut Warnings,
) -> Result<(), GtfsError> {
    let (files, file_warnings) = files;
    w.merge(file_warnings.clone());
    let feed_id = spec.id.as_str();

    // --- agency.txt -------------------------------------------------------------------
    let agency_t = files.need(feed_id, "agency.txt")?;
    let (a_id, a_name, a_url, a_tz) = (
        agency_t.col("agency_id"),
        agency_t.col("agency_name"),
        agency_t.col("agency_url"),
        agency_t.required("agency_timezone")?,
    );
    let mut timezone: Option<String> = None;
    for row in agency_t.rows() {
        let tz = agency_t.need(row, a_tz)?;
        if tz.parse::<chrono_tz::Tz>().is_err() {
            return Err(agency_t.field_error(
                row,
                a_tz,
                format!("`{tz}` is not an IANA timezone such as America/Lima"),
            ));
        }
        match &timezone {
            None => timezone = Some(tz.to_string()),
            Some(first) if first != tz => w.push("agency_timezone_differs", || {
                format!(
                    "{}: agency timezone {tz} differs from {first}; times are read as {first}",
                    agency_t.at(row)
                )
            }),
            Some(_) => {}
        }
    }
    let Some(timezone) = timezone else {
        return Err(GtfsError::File {
            feed: feed_id.into(),
            file: "agency.txt",
            message: "has no agency".into(),
        });
    };

    let (publisher, version) = match files.get("feed_info.txt") {
        Some(t) => {
            let row = t.rows().next();
            (
                row.and_then(|r| r.get(t.col("feed_publisher_name")))
                    .map(str::to_string),
                row.and_then(|r| r.get(t.col("feed_version")))
                    .map(str::to_string),
            )
        }
        None => (None, None),
    };
    let feed = b.add_feed(Feed {
        id: feed_id.to_string(),
        timezone: timezone.clone(),
        publisher,
        version,
        service_span: None,
        estimated_times: false,
    });

    let mut agency_ids: Vec<AgencyIdx> = Vec::new();
    for row in agency_t.rows() {
        let id = row.get(a_id).unwrap_or("");
        let agency = Agency {
            feed,
            id: ns(feed_id, id),
            name: row.get(a_name).unwrap_or(id).to_string(),
            url: row.get(a_url).unwrap_or("").to_string(),
            timezone: row.get(a_tz).unwrap_or(&timezone).to_string(),
        };
        match b.add_agency(agency) {
            Ok(i) => agency_ids.push(i),
            Err(e) => w.push("duplicate_id", || {
                format!("{}: {e}; row skipped", agency_t.at(row))
            }),
        }
    }

    // --- stops.txt --------------------------------------------------------------------
    let stops_t = files.need(feed_id, "stops.txt")?;
    let s_id = stops_t.required("stop_id")?;
    let (s_name, s_lat, s_lon, s_type, s_parent, s_wc, s_zone) = (
        stops_t.col("stop_name"),
        stops_t.col("stop_lat"),
        stops_t.col("stop_lon"),
        stops_t.col("location_type"),
        stops_t.col("parent_station"),
        stops_t.col("wheelchair_boarding"),
        stops_t.col("zone_id"),
    );
    let wheelchair = |t: &Table, row: Row<'_>, c, w: &mut Warnings| -> Accessibility {
        match row.get(c) {
            None => Accessibility::Unknown,
            Some(v) => match v.parse().ok().and_then(Accessibility::from_gtfs) {
                Some(a) => a,
                None => {
                    w.push("unknown_wheelchair_value", || {
                        format!("{}: `{v}` is not 0, 1 or 2; read as 0 (unknown)", t.at(row))
                    });
                    Accessibility::Unknown
                }
            },
        }
    };
    // Stations first, so platforms can inherit their wheelchair boarding.
    let mut station_wc: HashMap<&str, Accessibility> = HashMap::new();
    for row in stops_t.rows() {
        if row.get(s_type) == Some("1") {
            station_wc.insert(
                row.get(s_id).unwrap_or(""),
                wheelchair(stops_t, row, s_wc, w),
            );
        }
    }
    for row in stops_t.rows() {
        let Some(id) = row.get(s_id) else {
            w.push("stop_without_id", || {
                format!("{}: empty stop_id; row skipped", stops_t.at(row))
            });
            continue;
        };
        match row.get(s_type).unwrap_or("0") {
            "0" => {}
            "1" | "2" | "3" | "4" => continue, // stations, entrances, nodes, boarding areas: not boarded
            other => {
                w.push("unknown_location_type", || {
                    format!(
                        "{}: location_type `{other}` unknown; row skipped",
                        stops_t.at(row)
                    )
                });
                continue;
            }
        }
        let lat = row.get(s_lat).and_then(|v| v.parse::<f64>().ok());
        let lon = row.get(s_lon).and_then(|v| v.parse::<f64>().ok());
        let coord = match (lat, lon) {
            (Some(la), Some(lo)) if !(la == 0.0 && lo == 0.0) => Coord::new(la, lo).ok(),
            _ => None,
        };
        let Some(coord) = coord else {
            w.push("stop_bad_coordinates", || {
                format!(
                    "{}: stop `{id}` has coordinates `{}`, `{}`; stop skipped",
                    stops_t.at(row),
                    row.get(s_lat).unwrap_or(""),
                    row.get(s_lon).unwrap_or("")
                )
            });
            continue;
        };
        let parent = row.get(s_parent);
        let mut wc = wheelchair(stops_t, row, s_wc, w);
        if wc == Accessibility::Unknown {
            wc = parent
                .and_then(|p| station_wc.get(p))
                .copied()
                .unwrap_or(Accessibility::Unknown);
        }
        let stop = Stop {
            feed,
            id: ns(feed_id, id),
            name: row.get(s_name).unwrap_or("").to_string(),
            coord,
            parent_station: parent.map(|p| ns(feed_id, p)),
            zone_id: row.get(s_zone).map(str::to_string),
            wheelchair: wc,
        };
        if let Err(e) = b.add_stop(stop) {
            w.push("duplicate_id", || {
                format!("{}: {e}; row skipped", stops_t.at(row))
            });
        }
    }

    // --- routes.txt -------------------------------------------------------------------
    let routes_t = files.need(feed_id, "routes.txt")?;
    let r_id = routes_t.required("route_id")?;
    let (r_agency, r_short, r_long, r_type, r_color, r_text) = (
        routes_t.col("agency_id"),
        routes_t.col("route_short_name"),
        routes_t.col("route_long_name"),
        routes_t.col("route_type"),
        routes_t.col("route_color"),
        routes_t.col("route_text_color"),
    );
    for row in routes_t.rows() {
        let Some(id) = row.get(r_id) else {
            w.push("route_without_id", || {
                format!("{}: empty route_id; row skipped", routes_t.at(row))
            });
            continue;
        };
        let agency = match row.get(r_agency) {
            Some(a) => b.agency(&ns(feed_id, a)),
            None if agency_ids.len() == 1 => Some(agency_ids[0]),
            None => b.agency(&ns(feed_id, "")),
        };
        let Some(agency) = agency else {
            w.push("route_unknown_agency", || {
                format!(
                    "{}: route `{id}` names an unknown agency; route skipped",
                    routes_t.at(row)
                )
            });
            continue;
        };
        let route_type = match row.get(r_type).map(str::parse::<u16>) {
            Some(Ok(t)) => t,
            other => {
                w.push("route_bad_type", || {
                    format!(
                        "{}: route_type {other:?} is not a number; read as 3 (bus)",
                        routes_t.at(row)
                    )
                });
                3
            }
        };
        let color = |c| {
            row.get(c)
                .filter(|v: &&str| v.len() == 6 && v.bytes().all(|x| x.is_ascii_hexdigit()))
                .map(|v| v.to_ascii_uppercase())
        };
        let route = Route {
            id: ns(feed_id, id),
            agency,
            short_name: row.get(r_short).unwrap_or("").to_string(),
            long_name: row.get(r_long).unwrap_or("").to_string(),
            route_type,
            color: color(r_color),
            text_color: color(r_text),
        };
        if let Err(e) = b.add_route(route) {
            w.push("duplicate_id", || {
                format!("{}: {e}; row skipped", routes_t.at(row))
            });
        }
    }

    // --- calendar.txt + calendar_dates.txt -------------------------------------------
    let services = read_services(files, feed_id, w)?;
    let service_idx: HashMap<String, ServiceIdx> = services
        .into_iter()
        .map(|(k, v)| (k, b.add_service(v)))
        .collect();

    // --- shapes.txt ---------------------------------------------------------------------
    if let Some(t) = files.get("shapes.txt") {
        read_shapes(b, t, feed_id, w)?;
    }

    // --- trips.txt ----------------------------------------------------------------------
    let trips_t = files.need(feed_id, "trips.txt")?;
    let (t_id, t_route, t_service) = (
        trips_t.required("trip_id")?,
        trips_t.required("route_id")?,
        trips_t.required("service_id")?,
    );
    let (t_head, t_short, t_dir, t_block, t_shape, t_wc) = (
        trips_t.col("trip_headsign"),
        trips_t.col("trip_short_name"),
        trips_t.col("direction_id"),
        trips_t.col("block_id"),
        trips_t.col("shape_id"),
        trips_t.col("wheelchair_accessible"),
    );
    let mut trip_specs: HashMap<&str, (TripSpec, u64)> = HashMap::new();
    for row in trips_t.rows() {
        let Some(id) = row.get(t_id) else {
            w.push("trip_without_id", || {
                format!("{}: empty trip_id; row skipped", trips_t.at(row))
            });
            continue;
        };
        let Some(route) = row.get(t_route).and_then(|r| b.route(&ns(feed_id, r))) else {
            w.push("trip_unknown_route", || {
                format!(
                    "{}: trip `{id}` names an unknown route; trip skipped",
                    trips_t.at(row)
                )
            });
            continue;
        };
        let Some(&service) = row.get(t_service).and_then(|s| service_idx.get(s)) else {
            w.push("trip_unknown_service", || {
                format!(
                    "{}: trip `{id}` names service `{}`, in neither calendar file; trip skipped",
                    trips_t.at(row),
                    row.get(t_service).unwrap_or("")
                )
            });
            continue;
        };
        let shape = match row.get(t_shape) {
            None => None,
            Some(s) => {
                let found = b.shape(&ns(feed_id, s));
                if found.is_none() {
                    w.push("trip_unknown_shape", || {
                        format!(
                            "{}: shape `{s}` not in shapes.txt; trip kept without shape",
                            trips_t.at(row)
                        )
                    });
                }
                found
            }
        };
        let spec = TripSpec {
            id: ns(feed_id, id),
            route,
            service,
            headsign: row.get(t_head).map(str::to_string),
            short_name: row.get(t_short).map(str::to_string),
            direction: row
                .get(t_dir)
                .and_then(|d| d.parse().ok())
                .filter(|&d| d <= 1),
            block_id: row.get(t_block).map(str::to_string),
            shape,
            wheelchair: wheelchair(trips_t, row, t_wc, w),
            stop_times: Vec::new(),
        };
        if trip_specs.insert(id, (spec, row.line)).is_some() {
            w.push("duplicate_id", || {
                format!(
                    "{}: trip `{id}` appears twice; the last row is kept",
                    trips_t.at(row)
                )
            });
        }
    }

    // --- stop_times.txt -----------------------------------------------------------------
    let st_t = files.need(feed_id, "stop_times.txt")?;
    let (c_trip, c_seq, c_stop) = (
        st_t.required("trip_id")?,
        st_t.required("stop_sequence")?,
        st_t.required("stop_id")?,
    );
    let (c_arr, c_dep, c_pick, c_drop) = (
        st_t.col("arrival_time"),
        st_t.col("departure_time"),
        st_t.col("pickup_type"),
        st_t.col("drop_off_type"),
    );
    struct Raw {
        seq: u32,
        line: u64,
        stop: StopIdx,
        arr: Option<Secs>,
        dep: Option<Secs>,
        pickup: bool,
        drop_off: bool,
    }
    let mut raw: HashMap<&str, Vec<Raw>> = HashMap::new();
    for row in st_t.rows() {
        let trip = st_t.need(row, c_trip)?;
        if !trip_specs.contains_key(trip) {
            w.push("stop_time_unknown_trip", || {
                format!(
                    "{}: trip `{trip}` not in trips.txt; row skipped",
                    st_t.at(row)
                )
            });
            continue;
        }
        let seq_s = st_t.need(row, c_seq)?;
        let seq: u32 = seq_s.parse().map_err(|_| {
            st_t.field_error(
                row,
                c_seq,
                format!("`{seq_s}` is not a non-negative integer"),
            )
        })?;
        let time = |c| -> Result<Option<Secs>, GtfsError> {
            match row.get(c) {
                None => Ok(None),
                Some(v) => parse_time(v)
                    .map(Some)
                    .map_err(|e| st_t.field_error(row, c, e.to_string())),
            }
        };
        let (arr, dep) = (time(c_arr)?, time(c_dep)?);
        let stop_id = st_t.need(row, c_stop)?;
        let Some(stop) = b.stop(&ns(feed_id, stop_id)) else {
            w.push("stop_time_unknown_stop", || {
                format!(
                    "{}: stop `{stop_id}` not in stops.txt (or skipped); row skipped",
                    st_t.at(row)
                )
            });
            continue;
        };
        let allowed = |c| row.get(c) != Some("1");
        raw.entry(trip).or_default().push(Raw {
            seq,
            line: row.line,
            stop,
            arr: arr.or(dep),
            dep: dep.or(arr),
            pickup: allowed(c_pick),
            drop_off: allowed(c_drop),
        });
    }

    // --- frequencies.txt: which trips are templates ---------------------------------------
    let freq_t = files.get("frequencies.txt");

    // Assemble trips in trips.txt order (deterministic indices).
    let mut ordered: Vec<(&str, TripSpec, u64)> = trip_specs
        .into_iter()
        .map(|(k, (s, l))| (k, s, l))
        .collect();
    ordered.sort_by_key(|x| x.2);
    for (key, mut spec, line) in ordered {
        let mut rows = raw.remove(key).unwrap_or_default();
        rows.sort_by_key(|r| (r.seq, r.line));
        let before = rows.len();
        rows.dedup_by_key(|r| r.seq);
        if rows.len() < before {
            w.push("stop_time_duplicate_sequence", || format!("{feed_id}/stop_times.txt: trip `{key}` repeats a stop_sequence; later rows skipped"));
        }
        if rows.len() < 2 {
            w.push("trip_too_few_stop_times", || {
                format!("{feed_id}/trips.txt line {line}: trip `{key}` has {} usable stop time(s); trip skipped", rows.len())
            });
            continue;
        }
        // Interpolate blank times between timepoints by straight-line distance.
        let (first, last) = (&rows[0], &rows[rows.len() - 1]);
        if first.arr.is_none() || last.arr.is_none() {
            w.push("trip_untimed_ends", || format!("{feed_id}/trips.txt line {line}: trip `{key}` has no time at its first or last stop; trip skipped"));
            continue;
        }
        let coords: Vec<Coord> = rows.iter().map(|r| b.stops()[r.stop.idx()].coord).collect();
        let mut i = 0;
        while i < rows.len() {
            if rows[i].arr.is_some() {
                i += 1;
                continue;
            }
            let a = i - 1;
            let mut z = i;
            while rows[z].arr.is_none() {
                z += 1;
            }
            let cum: Vec<f64> = (a..z)
                .scan(0.0, |acc, k| {
                    *acc += coords[k].distance_m(coords[k + 1]);
                    Some(*acc)
                })
                .collect();
            let total = *cum.last().unwrap_or(&0.0);
            let (t_a, t_z) = (rows[a].dep.unwrap_or(0), rows[z].arr.unwrap_or(0));
            for k in i..z {
                let frac = if total > 0.0 {
                    cum[k - a - 1] / total
                } else {
                    (k - a) as f64 / (z - a) as f64
                };
                let t = t_a + ((f64::from(t_z.saturating_sub(t_a))) * frac).round() as Secs;
                rows[k].arr = Some(t);
                rows[k].dep = Some(t);
            }
            if rows.len() > i {
                w.push("stop_time_interpolated", || {
                    format!(
                        "{feed_id}/stop_times.txt: trip `{key}`: {} blank time(s) interpolated",
                        z - i
                    )
                });
            }
            i = z;
        }
        spec.stop_times = rows
            .iter()
            .map(|r| StopTimeSpec {
                stop: r.stop,
                arrival: r.arr.unwrap_or(0),
                departure: r.dep.unwrap_or(0).max(r.arr.unwrap_or(0)),
                pickup: r.pickup,
                drop_off: r.drop_off,
            })
            .collect();
        let id = spec.id.clone();
        if let Err(e) = b.add_trip(spec) {
            w.push(
                match e {
                    timetable::builder::Rejected::TimeTravel { .. } => "trip_time_travel",
                    timetable::builder::Rejected::TooFewStopTimes(_) => "trip_too_few_stop_times",
                    _ => "duplicate_id",
                },
                || format!("{feed_id}/trips.txt line {line}: {e}; trip `{id}` skipped"),
            );
        }
    }

    if let Some(t) = freq_t {
        let (f_trip, f_start, f_end, f_hw) = (
            t.required("trip_id")?,
            t.required("start_time")?,
            t.required("end_time")?,
            t.required("headway_secs")?,
        );
        let f_exact = t.col("exact_times");
        for row in t.rows() {
            let trip_id = t.need(row, f_trip)?;
            let time = |c| -> Result<Secs, GtfsError> {
                let v = t.need(row, c)?;
                parse_time(v).map_err(|e| t.field_error(row, c, e.to_string()))
            };
            let (start, end) = (time(f_start)?, time(f_end)?);
            let headway: Secs = parse_num(t, row, f_hw)?
                .ok_or_else(|| t.field_error(row, f_hw, "is empty but required"))?;
            let exact = match row.get(f_exact) {
                None | Some("0") => false,
                Some("1") => true,
                Some(v) => {
                    w.push("frequency_bad_exact_times", || {
                        format!("{}: exact_times `{v}` is not 0 or 1; read as 0", t.at(row))
                    });
                    false
                }
            };
            let Some(trip) = b.trip(&ns(feed_id, trip_id)) else {
                w.push("frequency_unknown_trip", || {
                    format!(
                        "{}: trip `{trip_id}` unknown or skipped; row skipped",
                        t.at(row)
                    )
                });
                continue;
            };
            if let Err(e) = b.add_frequency(trip, start, end, headway, exact) {
                w.push("frequency_empty_window", || {
                    format!("{}: {e}; row skipped", t.at(row))
                });
            }
        }
    }

    // --- transfers.txt ------------------------------------------------------------------
    if let Some(t) = files.get("transfers.txt") {
        read_transfers(b, t, feed_id, stops_t, w)?;
    }

    // --- fares v1 -----------------------------------------------------------------------
    if let Some(t) = files.get("fare_attributes.txt") {
        let (f_id, f_price, f_cur, f_pay, f_tr, f_dur, f_ag) = (
            t.required("fare_id")?,
            t.required("price")?,
            t.col("currency_type"),
            t.col("payment_method"),
            t.col("transfers"),
            t.col("transfer_duration"),
            t.col("agency_id"),
        );
        for row in t.rows() {
            let Some(id) = row.get(f_id) else { continue };
            let Some(price) = row
                .get(f_price)
                .and_then(|p| p.parse::<f64>().ok())
                .filter(|p| p.is_finite() && *p >= 0.0)
            else {
                w.push("fare_bad_price", || {
                    format!(
                        "{}: price is not a non-negative number; fare skipped",
                        t.at(row)
                    )
                });
                continue;
            };
            let fare = Fare {
                id: ns(feed_id, id),
                price,
                currency: row.get(f_cur).unwrap_or("").to_string(),
                payment_method: row.get(f_pay).and_then(|v| v.parse().ok()).unwrap_or(0),
                transfers: row.get(f_tr).and_then(|v| v.parse().ok()),
                transfer_duration: row.get(f_dur).and_then(|v| v.parse().ok()),
                agency: match row.get(f_ag) {
                    Some(a) => b.agency(&ns(feed_id, a)),
                    None => agency_ids
                        .first()
                        .copied()
                        .filter(|_| agency_ids.len() == 1),
                },
            };
            if let Err(e) = b.add_fare(fare) {
                w.push("duplicate_id", || {
                    format!("{}: {e}; row skipped", t.at(row))
                });
            }
        }
    }
    if let Some(t) = files.get("fare_rules.txt") {
        let (f_id, f_route, f_o, f_d, f_c) = (
            t.required("fare_id")?,
            t.col("route_id"),
            t.col("origin_id"),
            t.col("destination_id"),
            t.col("contains_id"),
        );
        for row in t.rows() {
            let Some(fare) = row.get(f_id).and_then(|f| b.fare(&ns(feed_id, f))) else {
                w.push("fare_rule_unknown_fare", || {
                    format!("{}: unknown fare; rule skipped", t.at(row))
                });
                continue;
            };
            let route = match row.get(f_route) {
                None => None,
                Some(r) => match b.route(&ns(feed_id, r)) {
                    Some(r) => Some(r),
                    None => {
                        w.push("fare_rule_unknown_route", || {
                            format!("{}: unknown route `{r}`; rule skipped", t.at(row))
                        });
                        continue;
                    }
                },
            };
            b.add_fare_rule(FareRule {
                fare,
                route,
                origin_id: row.get(f_o).map(str::to_string),
                destination_id: row.get(f_d).map(str::to_string),
                contains_id: row.get(f_c).map(str::to_string),
            });
        }
    }
    Ok(())
}

fn read_services(
    files: &Files,
    feed_id: &str,
    w: &mut Warnings,
) -> Result<HashMap<String, ServiceDays>, GtfsError> {
    struct Svc {
        weekdays: [bool; 7],
        start: Day,
        end: Day,
        added: Vec<Day>,
        removed: Vec<Day>,
    }
    let mut svcs: HashMap<String, Svc> = HashMap::new();
    let date = |t: &Table, row: Row<'_>, c| -> Result<Day, GtfsError> {
        let v = t.need(row, c)?;
        Day::parse(v).ok_or_else(|| t.field_error(row, c, format!("`{v}` is not a date YYYYMMDD")))
    };
    let cal = files.get("calendar.txt");
    let dates = files.get("calendar_dates.txt");
    if cal.is_none() && dates.is_none() {
        return Err(GtfsError::MissingFile {
            feed: feed_id.to_string(),
            file: "calendar.txt",
        });
    }
    if let Some(t) = cal {
        let id = t.required("service_id")?;
        const DAYS: [&str; 7] = [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ];
        let cols: Vec<_> = DAYS
            .iter()
            .map(|d| t.required(d))
            .collect::<Result<_, _>>()?;
        let (c_start, c_end) = (t.required("start_date")?, t.required("end_date")?);
        for row in t.rows() {
            let Some(sid) = row.get(id) else { continue };
            let mut weekdays = [false; 7];
            for (i, c) in cols.iter().enumerate() {
                weekdays[i] = match row.get(*c) {
                    Some("1") => true,
                    Some("0") | None => false,
                    Some(v) => return Err(t.field_error(row, *c, format!("`{v}` is not 0 or 1"))),
                };
            }
            let (start, end) = (date(t, row, c_start)?, date(t, row, c_end)?);
            if end < start {
                w.push("calendar_end_before_start", || {
                    format!(
                        "{}: service `{sid}` ends before it starts; it has no regular days",
                        t.at(row)
                    )
                });
            }
            svcs.insert(
                sid.to_string(),
                Svc {
                    weekdays,
                    start,
                    end,
                    added: Vec::new(),
                    removed: Vec::new(),
                },
            );
        }
    }
    if let Some(t) = dates {
        let (id, c_date, c_type) = (
            t.required("service_id")?,
            t.required("date")?,
            t.required("exception_type")?,
        );
        for row in t.rows() {
            let Some(sid) = row.get(id) else { continue };
            let d = date(t, row, c_date)?;
            let svc = svcs.entry(sid.to_string()).or_insert_with(|| Svc {
                weekdays: [false; 7],
                start: Day(0),
                end: Day(-1),
                added: Vec::new(),
                removed: Vec::new(),
            });
            match row.get(c_type) {
                Some("1") => svc.added.push(d),
                Some("2") => svc.removed.push(d),
                other => w.push("calendar_date_bad_type", || {
                    format!(
                        "{}: exception_type {other:?} is not 1 or 2; row skipped",
                        t.at(row)
                    )
                }),
            }
        }
    }
    Ok(svcs
        .into_iter()
        .map(|(k, s)| {
            (
                k,
                ServiceDays::from_calendar(s.weekdays, s.start, s.end, &s.added, &s.removed),
            )
        })
        .collect())
}

fn read_shapes(
    b: &mut TimetableBuilder,
    t: &Table,
    feed_id: &str,
    w: &mut Warnings,
) -> Result<(), GtfsError> {
    let (c_id, c_lat, c_lon, c_seq, c_dist) = (
        t.required("shape_id")?,
        t.required("shape_pt_lat")?,
        t.required("shape_pt_lon")?,
        t.required("shape_pt_sequence")?,
        t.col("shape_dist_traveled"),
    );
    type Point = (u32, Coord, Option<f32>);
    let mut by_id: HashMap<&str, Vec<Point>> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for row in t.rows() {
        let Some(id) = row.get(c_id) else { continue };
        let seq = row.get(c_seq).and_then(|v| v.parse::<u32>().ok());
        let lat = row.get(c_lat).and_then(|v| v.parse::<f64>().ok());
        let lon = row.get(c_lon).and_then(|v| v.parse::<f64>().ok());
        let (Some(seq), Some(coord)) = (seq, lat.zip(lon).and_then(|(a, o)| Coord::new(a, o).ok()))
        else {
            w.push("shape_bad_point", || {
                format!(
                    "{}: shape point without valid coordinates or sequence; point skipped",
                    t.at(row)
                )
            });
            continue;
        };
        let dist = row.get(c_dist).and_then(|v| v.parse::<f32>().ok());
        let e = by_id.entry(id).or_insert_with(|| {
            order.push(id);
            Vec::new()
        });
        e.push((seq, coord, dist));
    }
    for id in order {
        let mut pts = by_id.remove(id).unwrap_or_default();
        pts.sort_by_key(|p| p.0);
        let dist = pts.iter().map(|p| p.2).collect::<Option<Vec<f32>>>();
        let shape = Shape {
            id: ns(feed_id, id),
            points: pts.into_iter().map(|p| p.1).collect(),
            dist,
        };
        if let Err(e) = b.add_shape(shape) {
            w.push("duplicate_id", || format!("{feed_id}/shapes.txt: {e}"));
        }
    }
    Ok(())
}

fn read_transfers(
    b: &mut TimetableBuilder,
    t: &Table,
    feed_id: &str,
    stops_t: &Table,
    w: &mut Warnings,
) -> Result<(), GtfsError> {
    let (c_from, c_to, c_type, c_min) = (
        t.required("from_stop_id")?,
        t.required("to_stop_id")?,
        t.col("transfer_type"),
        t.col("min_transfer_time"),
    );
    let specific = [
        t.col("from_route_id"),
        t.col("to_route_id"),
        t.col("from_trip_id"),
        t.col("to_trip_id"),
    ];
    // Stations expand to their platforms.
    let (s_id, s_parent) = (stops_t.col("stop_id"), stops_t.col("parent_station"));
    let mut children: HashMap<&str, Vec<StopIdx>> = HashMap::new();
    for row in stops_t.rows() {
        if let (Some(id), Some(p)) = (row.get(s_id), row.get(s_parent))
            && let Some(s) = b.stop(&ns(feed_id, id))
        {
            children.entry(p).or_default().push(s);
        }
    }
    let resolve = |id: &str| -> Vec<StopIdx> {
        match b.stop(&ns(feed_id, id)) {
            Some(s) => vec![s],
            None => children.get(id).cloned().unwrap_or_default(),
        }
    };
    let mut specs = Vec::new();
    for row in t.rows() {
        if specific.iter().any(|c| row.get(*c).is_some()) {
            w.push("transfer_route_or_trip_specific", || {
                format!(
                    "{}: route- or trip-specific transfers are not supported yet; row skipped",
                    t.at(row)
                )
            });
            continue;
        }
        let (Some(from), Some(to)) = (row.get(c_from), row.get(c_to)) else {
            w.push("transfer_without_stops", || {
                format!(
                    "{}: from_stop_id and to_stop_id are required; row skipped",
                    t.at(row)
                )
            });
            continue;
        };
        let min: Option<Secs> = parse_num(t, row, c_min)?;
        let kind = match (row.get(c_type).unwrap_or("0"), min) {
            ("0", _) => TransferKind::Recommended,
            ("1", _) => TransferKind::Timed,
            ("2", Some(m)) => TransferKind::MinTime(m),
            ("2", None) => {
                w.push("transfer_missing_min_time", || {
                    format!(
                        "{}: type 2 needs min_transfer_time; read as type 0",
                        t.at(row)
                    )
                });
                TransferKind::Recommended
            }
            ("3", _) => TransferKind::Forbidden,
            (other, _) => {
                w.push("transfer_unsupported_type", || format!("{}: transfer_type `{other}` (in-seat transfers) not supported; row skipped", t.at(row)));
                continue;
            }
        };
        let (fs, ts) = (resolve(from), resolve(to));
        if fs.is_empty() || ts.is_empty() {
            w.push("transfer_unknown_stop", || {
                format!(
                    "{}: unknown stop `{}`; row skipped",
                    t.at(row),
                    if fs.is_empty() { from } else { to }
                )
            });
            continue;
        }
        for &f in &fs {
            for &tt in &ts {
                specs.push(TransferSpec {
                    from: f,
                    to: tt,
                    kind,
                });
            }
        }
    }
    for s in specs {
        b.add_transfer(s);
    }
    Ok(())
}
