//! The state of a conversation, as stored between messages (JSON in the store's `bot_chats`).
//!
//! Everything the bot must remember to continue a dialogue after a restart lives here; a
//! state that cannot be read (a future version's, a corrupted row) starts the chat afresh
//! rather than failing.

use serde::{Deserialize, Serialize};

/// Reads an age band stored before the one vocabulary (store migration `0010`): a band
/// inside a new one is mapped, a straddling one is forgotten (the bot asks again when it
/// needs it) rather than failing every later request.
fn age_band<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let word: Option<String> = Option::deserialize(d)?;
    Ok(word
        .as_deref()
        .and_then(app::AgeBand::read)
        .map(|a| a.as_str().to_string()))
}

/// A consented profile, used only for anonymous statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileData {
    /// A `app::Gender` word.
    pub gender: Option<String>,
    /// A `app::AgeBand` word (read through [`age_band`]).
    #[serde(default, deserialize_with = "age_band")]
    pub age_band: Option<String>,
    /// Travels with a disability.
    pub disability: bool,
    /// Travels as a caregiver.
    pub caregiver: bool,
}

/// A place the rider gave: a point, or stops (with the route it was found through).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// How to show it.
    pub label: String,
    /// Stop ids (empty for a point).
    #[serde(default)]
    pub stops: Vec<String>,
    /// A shared location.
    #[serde(default)]
    pub point: Option<(f64, f64)>,
    /// Route id, when picked through a route.
    #[serde(default)]
    pub route: Option<String>,
}

/// The last trip planned, for "later departures" and the survey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastTrip {
    /// Origin.
    pub from: Place,
    /// Destination.
    pub to: Place,
    /// Service day, `YYYY-MM-DD`.
    pub day: String,
    /// Where "later" starts: seconds after midnight of `day`.
    pub next_secs: i32,
    /// The time asked for (the safer route is planned at the same time).
    #[serde(default)]
    pub asked_secs: i32,
    /// Route ids ridden in the itineraries shown.
    pub routes: Vec<String>,
}

/// An incident report being put together.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// Category key.
    pub category: String,
    /// Where.
    pub place: Option<Place>,
    /// When (Unix seconds); `None`: now.
    pub occurred_at: Option<i64>,
    /// What happened.
    pub description: Option<String>,
    /// Reporter's gender, for this report only.
    pub gender: Option<String>,
    /// Reporter's age band, for this report only (read through [`age_band`]).
    #[serde(default, deserialize_with = "age_band")]
    pub age_band: Option<String>,
    /// Random, set when the draft starts: the report's idempotency key, so a retried "send"
    /// never stores it twice.
    #[serde(default)]
    pub nonce: String,
    /// A photo sent with it: Telegram's file id (its bytes are fetched, cleaned of metadata
    /// and attached once the report is filed; nothing of it is kept here but the id).
    #[serde(default)]
    pub photo: Option<String>,
    /// Who was involved (a road actor key), if said.
    #[serde(default)]
    pub actor_involved: Option<String>,
    /// Who was the victim (a road actor key), if said.
    #[serde(default)]
    pub actor_victim: Option<String>,
}

/// The flows of the conversation: each owns its steps, their questions and what they do
/// with an answer (`engine::<flow>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowKind {
    /// Between flows.
    Idle,
    /// Choosing the language.
    Language,
    /// The consented, anonymous profile.
    Profile,
    /// Planning a trip.
    Route,
    /// The next buses at a stop.
    Departures,
    /// Reporting an incident.
    Report,
    /// Rating a ride.
    Rating,
    /// Answering a survey.
    Questionnaire,
    /// Erasing one's data.
    Erase,
}

impl Step {
    /// The flow this step belongs to: the one place that says so, read by the dispatcher and
    /// by the question asked.
    pub fn flow(&self) -> FlowKind {
        match self {
            Step::Idle => FlowKind::Idle,
            Step::Language { .. } => FlowKind::Language,
            Step::Consent
            | Step::ProfileMenu
            | Step::ProfileGender { .. }
            | Step::ProfileAge { .. }
            | Step::ProfileNeeds { .. } => FlowKind::Profile,
            Step::RouteFrom { .. } | Step::RouteTo { .. } | Step::RouteWhen { .. } => {
                FlowKind::Route
            }
            Step::DeparturesStop { .. } => FlowKind::Departures,
            Step::ReportCategory { .. }
            | Step::ReportWhere { .. }
            | Step::ReportWhen { .. }
            | Step::ReportTime { .. }
            | Step::ReportDescription { .. }
            | Step::ReportActor { .. }
            | Step::ReportGender { .. }
            | Step::ReportAge { .. }
            | Step::ReportConfirm { .. } => FlowKind::Report,
            Step::SurveyRoute { .. }
            | Step::SurveySafety { .. }
            | Step::SurveySatisfaction { .. } => FlowKind::Rating,
            Step::QuestionnairePick { .. } | Step::Questionnaire { .. } => FlowKind::Questionnaire,
            Step::EraseConfirm => FlowKind::Erase,
        }
    }
}

/// Where the dialogue is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Waiting for a command.
    #[default]
    Idle,
    /// Choosing a language (`onboarding`: then the profile question of `/start`).
    Language {
        /// Part of `/start`.
        onboarding: bool,
    },
    /// May we keep a profile?
    Consent,
    /// Profile: gender.
    ProfileGender {
        /// The profile being filled in.
        profile: ProfileData,
    },
    /// Profile: age band.
    ProfileAge {
        /// The profile being filled in.
        profile: ProfileData,
    },
    /// Profile: disability, caregiving.
    ProfileNeeds {
        /// The profile being filled in.
        profile: ProfileData,
    },
    /// `/perfil`: keep, change or withdraw.
    ProfileMenu,
    /// `/ruta`: where from.
    RouteFrom {
        /// Places offered when the name was ambiguous.
        #[serde(default)]
        choices: Vec<Place>,
    },
    /// `/ruta`: where to.
    RouteTo {
        /// Origin.
        from: Place,
        /// Places offered.
        #[serde(default)]
        choices: Vec<Place>,
    },
    /// `/ruta`: now or at a time.
    RouteWhen {
        /// Origin.
        from: Place,
        /// Destination.
        to: Place,
    },
    /// `/salidas`: which stop.
    DeparturesStop {
        /// Stops offered.
        #[serde(default)]
        choices: Vec<Place>,
    },
    /// `/reportar`: category.
    ReportCategory {
        /// The group chosen (its categories are offered); `None`: the groups are.
        #[serde(default)]
        group: Option<String>,
    },
    /// `/reportar`: where.
    ReportWhere {
        /// The report so far.
        draft: Draft,
        /// Places offered.
        #[serde(default)]
        choices: Vec<Place>,
    },
    /// `/reportar`: now, earlier today or another day.
    ReportWhen {
        /// The report so far.
        draft: Draft,
    },
    /// `/reportar`: the time (and day) typed.
    ReportTime {
        /// The report so far.
        draft: Draft,
        /// Another day: a date is needed too.
        other_day: bool,
    },
    /// `/reportar`: what happened (optional).
    ReportDescription {
        /// The report so far.
        draft: Draft,
    },
    /// `/reportar`: who was involved (`victim` false), then who was the victim (optional).
    ReportActor {
        /// The report so far.
        draft: Draft,
        /// Asking for the victim (else for who was involved).
        victim: bool,
    },
    /// `/reportar`: gender, when there is no profile (optional).
    ReportGender {
        /// The report so far.
        draft: Draft,
    },
    /// `/reportar`: age band, when there is no profile (optional).
    ReportAge {
        /// The report so far.
        draft: Draft,
    },
    /// `/reportar`: send, send anonymously, or cancel.
    ReportConfirm {
        /// The report.
        draft: Draft,
    },
    /// `/encuesta`: which route.
    SurveyRoute {
        /// Route ids offered.
        #[serde(default)]
        choices: Vec<String>,
    },
    /// `/encuesta`: how safe (1–5).
    SurveySafety {
        /// Route id.
        route: String,
    },
    /// `/encuesta`: how satisfied (1–5).
    SurveySatisfaction {
        /// Route id.
        route: String,
        /// Safety answer.
        safety: u8,
    },
    /// `/encuestas`: which survey.
    QuestionnairePick {
        /// The surveys offered: (code, title).
        #[serde(default)]
        choices: Vec<(String, String)>,
    },
    /// Answering a survey, one question at a time.
    Questionnaire {
        /// Where in the survey.
        asking: Box<Asking>,
    },
    /// `/borrar`: sure?
    EraseConfirm,
}

/// A survey being answered: its version, the answers so far, and the question on screen
/// (its text and options kept in the rider's language, so it can be asked again as it was).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Asking {
    /// Survey code.
    pub survey: String,
    /// Version answered.
    pub version: i32,
    /// Options chosen, by question.
    #[serde(default)]
    pub chosen: std::collections::BTreeMap<String, Vec<String>>,
    /// Texts given, by question.
    #[serde(default)]
    pub texts: std::collections::BTreeMap<String, String>,
    /// Options ticked so far on a multiple-choice question.
    #[serde(default)]
    pub ticked: Vec<String>,
    /// The question on screen.
    pub question: Shown,
}

/// A question as shown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Shown {
    /// Question code.
    pub code: String,
    /// Its text.
    pub text: String,
    /// `single`, `multi`, `scale` or `text`.
    pub kind: String,
    /// Must be answered.
    pub required: bool,
    /// (code, label, exclusive).
    #[serde(default)]
    pub options: Vec<(String, String, bool)>,
    /// Longest text.
    #[serde(default)]
    pub max_chars: Option<u32>,
    /// 1-based position and the number of questions.
    pub position: (usize, usize),
}

/// What is remembered of a chat.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatState {
    /// Consented profile; `None`: no consent (nothing about the rider is kept).
    #[serde(default)]
    pub profile: Option<ProfileData>,
    /// Where the dialogue is.
    #[serde(default)]
    pub step: Step,
    /// Last trip planned.
    #[serde(default)]
    pub last_trip: Option<LastTrip>,
}

impl ChatState {
    /// Reads a stored state; anything unreadable starts afresh.
    pub fn from_json(s: &str) -> ChatState {
        serde_json::from_str(s).unwrap_or_default()
    }
    /// For the store.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_bad_json_starts_afresh() {
        let s = ChatState {
            profile: Some(ProfileData {
                gender: Some("mujer".into()),
                ..ProfileData::default()
            }),
            step: Step::ReportConfirm {
                draft: Draft {
                    category: "robo".into(),
                    place: Some(Place {
                        label: "x".into(),
                        stops: vec![],
                        point: Some((-16.4, -71.5)),
                        route: None,
                    }),
                    ..Draft::default()
                },
            },
            last_trip: None,
        };
        assert_eq!(ChatState::from_json(&s.to_json()), s);
        assert_eq!(ChatState::from_json("{not json"), ChatState::default());
        assert_eq!(
            ChatState::from_json(r#"{"step":{"step":"from_the_future"}}"#),
            ChatState::default()
        );
    }

    #[test]
    fn profiles_saved_before_the_one_age_vocabulary_read_without_failing() {
        let read = |band: &str| {
            serde_json::from_str::<ProfileData>(&format!(
                r#"{{"gender":"mujer","age_band":"{band}","disability":false,"caregiver":false}}"#
            ))
            .unwrap()
            .age_band
        };
        assert_eq!(read("18_29").as_deref(), Some("18_35"));
        assert_eq!(read("menor_18").as_deref(), Some("menor_18"));
        assert_eq!(read("36_50").as_deref(), Some("36_50"));
        // Straddling two new bands: forgotten, not guessed.
        assert_eq!(read("30_44"), None);
        assert_eq!(read("nonsense"), None);
    }
}
