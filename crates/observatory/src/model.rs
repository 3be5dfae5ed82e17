//! The records the store keeps, in plain structs.

use serde::Serialize;
use std::str::FromStr;

/// A closed set of words stored and sent as text (genders, age bands, statuses, …).
pub trait Word: Copy + FromStr + 'static {
    /// Every value, in order.
    const ALL: &'static [Self];
    /// The stored and API word.
    fn word(self) -> &'static str;
}

macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stored and API word.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl Word for $name {
            const ALL: &'static [$name] = $name::ALL;
            fn word(self) -> &'static str {
                self.as_str()
            }
        }

        impl FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s { $($text => Ok($name::$variant),)+ _ => Err(()) }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

word_enum!(
    /// Self-declared gender, only with consent.
    Gender {
        /// Mujer.
        Woman = "mujer",
        /// Hombre.
        Man = "hombre",
        /// No binario.
        NonBinary = "no_binario",
        /// Prefiero no decir.
        Undisclosed = "prefiero_no_decir",
    }
);

word_enum!(
    /// Age band: the Arequipa Bus survey's bands, one vocabulary for reports, surveys,
    /// planned trips and the bot's profile (migration `0010` mapped the first bands).
    AgeBand {
        /// Under 18.
        Under18 = "menor_18",
        /// 18–35.
        From18To35 = "18_35",
        /// 36–50.
        From36To50 = "36_50",
        /// 51–64.
        From51To64 = "51_64",
        /// 65 and over.
        Over65 = "65_mas",
    }
);

impl AgeBand {
    /// Reads a band as stored, including paradero's first bands where one new band holds
    /// them (`18_29` is within `18_35`); a straddling old band (`30_44`…) reads as none, as
    /// migration `0010` does for the tables (for JSON it cannot reach: the bot's profiles).
    pub fn read(word: &str) -> Option<AgeBand> {
        match word {
            "18_29" => Some(AgeBand::From18To35),
            w => w.parse().ok(),
        }
    }
}

word_enum!(
    /// Trip purpose, care trips included (the gender focus of OMUS Trujillo).
    Purpose {
        /// Work.
        Work = "trabajo",
        /// Study.
        Study = "estudio",
        /// Care: accompanying children, the sick or the elderly; household errands.
        Care = "cuidado",
        /// Health.
        Health = "salud",
        /// Shopping.
        Shopping = "compras",
        /// Leisure.
        Leisure = "recreacion",
        /// Other.
        Other = "otro",
    }
);

word_enum!(
    /// Where a record came from.
    Channel {
        /// The riders' web page.
        Web = "web",
        /// The HTTP API.
        Api = "api",
        /// The Telegram bot.
        Bot = "bot",
        /// Open311 GeoReport v2.
        Open311 = "open311",
    }
);

word_enum!(
    /// A report's place in the workflow.
    Status {
        /// Just received.
        Open = "open",
        /// An official has seen it.
        Acknowledged = "acknowledged",
        /// Being handled.
        InProgress = "in_progress",
        /// Handled.
        Closed = "closed",
    }
);

impl Status {
    /// The workflow only moves forward (steps may be skipped): open → acknowledged →
    /// in progress → closed.
    pub fn can_become(self, to: Status) -> bool {
        to > self
    }
}

word_enum!(
    /// What an official may do.
    Role {
        /// A bus company's: push its fleet's positions (for its own agencies); reads nothing.
        Operator = "operator",
        /// Read raw reports and surveys.
        Viewer = "viewer",
        /// Also change report status.
        Editor = "editor",
        /// Also manage officials.
        Admin = "admin",
    }
);

/// A rider's consented profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Gender.
    pub gender: Option<Gender>,
    /// Age band.
    pub age_band: Option<AgeBand>,
    /// Has a disability.
    pub disability: bool,
    /// Travels as a caregiver.
    pub caregiver: bool,
    /// Purpose of this trip.
    pub purpose: Option<Purpose>,
}

/// The best journey offered for a planned trip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BestJourney {
    /// Door-to-door seconds.
    pub travel_s: i32,
    /// Seconds waiting.
    pub wait_s: i32,
    /// Seconds walking.
    pub walk_s: i32,
    /// Changes of vehicle.
    pub transfers: i32,
    /// Route ids ridden.
    pub routes: Vec<String>,
}

/// One plan served, without identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TripRecord {
    /// When (Unix seconds).
    pub planned_at: i64,
    /// Local date the plan was made, `YYYY-MM-DD` (the aggregates' day).
    pub local_day: String,
    /// Local hour 0–23 of the requested departure (or arrival).
    pub local_hour: u8,
    /// From where.
    pub channel: Channel,
    /// Origin zone (grid cell).
    pub origin_zone: String,
    /// Destination zone.
    pub dest_zone: String,
    /// The best journey offered, if any.
    pub best: Option<BestJourney>,
    /// The rider's profile, only with consent.
    pub profile: Option<Profile>,
    /// Hashed handle of a rider who can ask for erasure (bot users).
    pub rider: Option<String>,
    /// Whether the rider asked for the safer option.
    pub safer: bool,
}

/// The road actors of an incident, as the Trujillo observatory (OMUS) records them: who was
/// involved and who was the victim, keys from the configured list; both optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RoadActors {
    /// Who caused or took part in it (`conductor_bus`, `motociclista`, …).
    pub involved: Option<String>,
    /// Who suffered it (`peaton`, `pasajero`, …).
    pub victim: Option<String>,
}

/// A report as submitted (already validated by the caller).
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    /// Category key from the configured list.
    pub category: String,
    /// Latitude, if given.
    pub lat: Option<f64>,
    /// Longitude, if given.
    pub lon: Option<f64>,
    /// Stop, if given.
    pub stop_id: Option<String>,
    /// Route, if given.
    pub route_id: Option<String>,
    /// Grid cell of the place.
    pub zone: String,
    /// When it happened (Unix seconds).
    pub occurred_at: i64,
    /// Whether the reporter gave that time (else it is when the report arrived, and a retry
    /// a second later is still the same submission).
    pub occurred_at_given: bool,
    /// Local hour it happened.
    pub local_hour: u8,
    /// Free text (length-limited by the caller).
    pub description: Option<String>,
    /// Reporter's gender, optional.
    pub gender: Option<Gender>,
    /// Reporter's age band, optional.
    pub age_band: Option<AgeBand>,
    /// Channel.
    pub channel: Channel,
    /// Hashed handle of the reporter, for "my reports" and erasure.
    pub rider: Option<String>,
    /// Road actors, optional.
    pub actors: RoadActors,
}

impl NewReport {
    /// What makes two submissions the same, for idempotency keys.
    pub fn fingerprint(&self) -> String {
        // Road actors count only when given, so keys stored before they existed still match.
        let actors = if self.actors == RoadActors::default() {
            String::new()
        } else {
            format!("|{:?}|{:?}", self.actors.involved, self.actors.victim)
        };
        crate::sha256_hex(&format!(
            "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}{actors}",
            self.category,
            self.lat,
            self.lon,
            self.stop_id,
            self.route_id,
            self.occurred_at_given.then_some(self.occurred_at),
            self.description,
            self.gender,
            self.age_band,
            self.channel
        ))
    }
}

/// A stored report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The officials' case id (`C-…`; older reports: their first reference). Never shown to
    /// anyone but officials: the reporter holds a separate secret.
    pub reference: String,
    /// Category key.
    pub category: String,
    /// Exact point (officials only).
    pub lat: Option<f64>,
    /// Exact point (officials only).
    pub lon: Option<f64>,
    /// Stop.
    pub stop_id: Option<String>,
    /// Route.
    pub route_id: Option<String>,
    /// Grid cell.
    pub zone: String,
    /// When it happened.
    pub occurred_at: i64,
    /// Local hour it happened.
    pub local_hour: u8,
    /// When it was reported.
    pub reported_at: i64,
    /// Free text (officials only).
    pub description: Option<String>,
    /// Reporter's gender.
    pub gender: Option<Gender>,
    /// Reporter's age band.
    pub age_band: Option<AgeBand>,
    /// Channel.
    pub channel: Channel,
    /// Workflow status.
    pub status: Status,
    /// Last change.
    pub updated_at: i64,
    /// First moved past open.
    pub acknowledged_at: Option<i64>,
    /// Closed.
    pub closed_at: Option<i64>,
    /// Reference of an earlier report this likely duplicates.
    pub duplicate_of: Option<String>,
    /// Road actors (officials only).
    pub actors: RoadActors,
}

/// What `create_report` did.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    /// The report (its `reference` is the officials' case id).
    pub report: Report,
    /// The secret reference: what the reporter keeps to follow and erase the report. Shown
    /// once (and again only to a retry with the same Idempotency-Key within a day).
    pub secret: String,
    /// True when an idempotency key matched an earlier submission.
    pub replayed: bool,
}

/// One status change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportEvent {
    /// When.
    pub at: i64,
    /// New status.
    pub status: Status,
    /// The official's note.
    pub note: String,
    /// The official's name.
    pub official: String,
}

/// Which reports to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFilter {
    /// From (inclusive, Unix seconds).
    pub from: i64,
    /// To (exclusive).
    pub to: i64,
    /// Only this status.
    pub status: Option<Status>,
    /// Only this category.
    pub category: Option<String>,
    /// At most.
    pub limit: i64,
}

/// A survey answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSurvey {
    /// When.
    pub answered_at: i64,
    /// Local hour of the trip.
    pub local_hour: u8,
    /// Route.
    pub route_id: Option<String>,
    /// "¿Te sientes segura/o?" 1–5.
    pub safety: Option<u8>,
    /// Satisfaction 1–5.
    pub satisfaction: Option<u8>,
    /// Gender, optional.
    pub gender: Option<Gender>,
    /// Age band, optional.
    pub age_band: Option<AgeBand>,
    /// Channel.
    pub channel: Channel,
    /// Hashed rider handle.
    pub rider: Option<String>,
}

/// An authenticated official.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Official {
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// For an operator: the (namespaced) agencies it speaks for; empty for others.
    pub agencies: Vec<String>,
}

/// What an erasure removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Erased {
    /// Trip records deleted.
    pub trips: u64,
    /// Survey answers deleted.
    pub surveys: u64,
    /// Reports no longer linked to the rider.
    pub reports_unlinked: u64,
}

/// Trips of one (gender, hour, purpose) group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TripGroup {
    /// Gender, if declared.
    pub gender: Option<String>,
    /// Local hour.
    pub local_hour: u8,
    /// Purpose, if declared.
    pub purpose: Option<String>,
    /// Trips.
    pub trips: i64,
    /// Trips with a journey found.
    pub found: i64,
    /// Sum of travel seconds.
    pub travel_s: i64,
    /// Sum of waiting seconds.
    pub wait_s: i64,
    /// Sum of walking seconds.
    pub walk_s: i64,
    /// Sum of transfers.
    pub transfers: i64,
}

/// Reports of one (category, gender, hour, route) group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportGroup {
    /// Category.
    pub category: String,
    /// Gender, if declared.
    pub gender: Option<String>,
    /// Local hour it happened.
    pub local_hour: u8,
    /// Route, if given.
    pub route_id: Option<String>,
    /// Reports.
    pub reports: i64,
    /// Zone, when grouped by zone.
    pub zone: Option<String>,
}

/// Planned trips on one route in one local hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteHour {
    /// Route id.
    pub route_id: String,
    /// Local hour.
    pub local_hour: u8,
    /// Trips.
    pub count: i64,
}

/// Survey answers of one (gender, hour, route) group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyGroup {
    /// Gender, if declared.
    pub gender: Option<String>,
    /// Local hour.
    pub local_hour: u8,
    /// Route, if given.
    pub route_id: Option<String>,
    /// Answers.
    pub answers: i64,
    /// Sum of safety scores.
    pub safety_sum: i64,
    /// Answers with a safety score.
    pub safety_n: i64,
    /// Sum of satisfaction scores.
    pub satisfaction_sum: i64,
    /// Answers with a satisfaction score.
    pub satisfaction_n: i64,
}

/// How reports were handled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Handling {
    /// Reports.
    pub reports: i64,
    /// Closed.
    pub closed: i64,
    /// Acknowledged within 48 hours of being reported.
    pub acknowledged_within_48h: i64,
    /// Seconds from report to close, sorted.
    pub close_durations_s: Vec<i64>,
}
