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

/// Where the dialogue is: between flows, or at a step of one flow. Each flow is its own type
/// holding only its own state (`engine::<flow>` asks its questions and reads the answers); a
/// new flow is a variant here, a type below, a module in `engine` and a row of the command
/// table, and the compiler points at every match that must learn it.
///
/// Stored as before the flows had types: `{"step": "report_where", "draft": …}` (each step's
/// name is unique across flows), so conversations in progress survive an upgrade.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Step {
    /// Waiting for a command.
    #[default]
    Idle,
    /// Choosing the language.
    Language(LanguageStep),
    /// The consented, anonymous profile.
    Profile(ProfileStep),
    /// Planning a trip.
    Route(RouteStep),
    /// The next buses at a stop.
    Departures(DeparturesStep),
    /// Reporting an incident.
    Report(ReportStep),
    /// Rating a ride.
    Rating(RatingStep),
    /// Answering a survey.
    Questionnaire(QuestionnaireStep),
    /// Erasing one's data.
    Erase(EraseStep),
}

/// `/idioma` (and the first question of `/start`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum LanguageStep {
    /// Choosing a language (`onboarding`: then the profile question of `/start`).
    #[serde(rename = "language")]
    Choose {
        /// Part of `/start`.
        onboarding: bool,
    },
}

/// `/perfil` and the profile questions of `/start`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ProfileStep {
    /// May we keep a profile?
    Consent,
    /// Gender.
    #[serde(rename = "profile_gender")]
    Gender {
        /// The profile being filled in.
        profile: ProfileData,
    },
    /// Age band.
    #[serde(rename = "profile_age")]
    Age {
        /// The profile being filled in.
        profile: ProfileData,
    },
    /// Disability, caregiving.
    #[serde(rename = "profile_needs")]
    Needs {
        /// The profile being filled in.
        profile: ProfileData,
    },
    /// Keep, change or withdraw.
    #[serde(rename = "profile_menu")]
    Menu,
}

/// `/ruta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum RouteStep {
    /// Where from.
    #[serde(rename = "route_from")]
    From {
        /// Places offered when the name was ambiguous.
        #[serde(default)]
        choices: Vec<Place>,
    },
    /// Where to.
    #[serde(rename = "route_to")]
    To {
        /// Origin.
        from: Place,
        /// Places offered.
        #[serde(default)]
        choices: Vec<Place>,
    },
    /// Now or at a time.
    #[serde(rename = "route_when")]
    When {
        /// Origin.
        from: Place,
        /// Destination.
        to: Place,
    },
}

/// `/salidas`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum DeparturesStep {
    /// Which stop.
    #[serde(rename = "departures_stop")]
    Stop {
        /// Stops offered.
        #[serde(default)]
        choices: Vec<Place>,
    },
}

/// `/reportar`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ReportStep {
    /// Category.
    #[serde(rename = "report_category")]
    Category {
        /// The group chosen (its categories are offered); `None`: the groups are.
        #[serde(default)]
        group: Option<String>,
    },
    /// Where.
    #[serde(rename = "report_where")]
    Where {
        /// The report so far.
        draft: Draft,
        /// Places offered.
        #[serde(default)]
        choices: Vec<Place>,
    },
    /// Now, earlier today or another day.
    #[serde(rename = "report_when")]
    When {
        /// The report so far.
        draft: Draft,
    },
    /// The time (and day) typed.
    #[serde(rename = "report_time")]
    Time {
        /// The report so far.
        draft: Draft,
        /// Another day: a date is needed too.
        other_day: bool,
    },
    /// What happened (optional).
    #[serde(rename = "report_description")]
    Description {
        /// The report so far.
        draft: Draft,
    },
    /// Who was involved (`victim` false), then who was the victim (optional).
    #[serde(rename = "report_actor")]
    Actor {
        /// The report so far.
        draft: Draft,
        /// Asking for the victim (else for who was involved).
        victim: bool,
    },
    /// Gender, when there is no profile (optional).
    #[serde(rename = "report_gender")]
    Gender {
        /// The report so far.
        draft: Draft,
    },
    /// Age band, when there is no profile (optional).
    #[serde(rename = "report_age")]
    Age {
        /// The report so far.
        draft: Draft,
    },
    /// Send, send anonymously, or cancel.
    #[serde(rename = "report_confirm")]
    Confirm {
        /// The report.
        draft: Draft,
    },
}

/// `/encuesta` and a plan's "rate" button.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum RatingStep {
    /// Which route.
    #[serde(rename = "survey_route")]
    Route {
        /// Route ids offered.
        #[serde(default)]
        choices: Vec<String>,
    },
    /// How safe (1–5).
    #[serde(rename = "survey_safety")]
    Safety {
        /// Route id.
        route: String,
    },
    /// How satisfied (1–5).
    #[serde(rename = "survey_satisfaction")]
    Satisfaction {
        /// Route id.
        route: String,
        /// Safety answer.
        safety: u8,
    },
}

/// `/encuestas`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum QuestionnaireStep {
    /// Which survey.
    #[serde(rename = "questionnaire_pick")]
    Pick {
        /// The surveys offered: (code, title).
        #[serde(default)]
        choices: Vec<(String, String)>,
    },
    /// Answering a survey, one question at a time.
    #[serde(rename = "questionnaire")]
    Answering {
        /// Where in the survey.
        asking: Box<Asking>,
    },
}

/// `/borrar`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum EraseStep {
    /// Sure?
    #[serde(rename = "erase_confirm")]
    Confirm,
}

macro_rules! flow_steps {
    ($($flow:ident($ty:ident)),*) => {$(
        impl From<$ty> for Step {
            fn from(s: $ty) -> Step {
                Step::$flow(s)
            }
        }
    )*};
}

flow_steps!(
    Language(LanguageStep),
    Profile(ProfileStep),
    Route(RouteStep),
    Departures(DeparturesStep),
    Report(ReportStep),
    Rating(RatingStep),
    Questionnaire(QuestionnaireStep),
    Erase(EraseStep)
);

impl Serialize for Step {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Step::Idle => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("step", "idle")?;
                m.end()
            }
            Step::Language(x) => x.serialize(s),
            Step::Profile(x) => x.serialize(s),
            Step::Route(x) => x.serialize(s),
            Step::Departures(x) => x.serialize(s),
            Step::Report(x) => x.serialize(s),
            Step::Rating(x) => x.serialize(s),
            Step::Questionnaire(x) => x.serialize(s),
            Step::Erase(x) => x.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Step {
    /// By the step's name, which says its flow; an unknown one is an error (the whole state
    /// then starts afresh, see [`ChatState::from_json`]).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Step, D::Error> {
        use serde::de::Error;
        let v = serde_json::Value::deserialize(d)?;
        let name = v
            .get("step")
            .and_then(|n| n.as_str())
            .unwrap_or_default()
            .to_string();
        let flow = |prefix: &str| name == prefix || name.starts_with(&format!("{prefix}_"));
        let read = |e: serde_json::Error| D::Error::custom(format!("step {name}: {e}"));
        let step = if name == "idle" {
            Step::Idle
        } else if name == "language" {
            Step::Language(LanguageStep::deserialize(v).map_err(read)?)
        } else if name == "consent" || flow("profile") {
            Step::Profile(ProfileStep::deserialize(v).map_err(read)?)
        } else if flow("route") {
            Step::Route(RouteStep::deserialize(v).map_err(read)?)
        } else if flow("departures") {
            Step::Departures(DeparturesStep::deserialize(v).map_err(read)?)
        } else if flow("report") {
            Step::Report(ReportStep::deserialize(v).map_err(read)?)
        } else if flow("survey") {
            Step::Rating(RatingStep::deserialize(v).map_err(read)?)
        } else if flow("questionnaire") {
            Step::Questionnaire(QuestionnaireStep::deserialize(v).map_err(read)?)
        } else if flow("erase") {
            Step::Erase(EraseStep::deserialize(v).map_err(read)?)
        } else {
            return Err(D::Error::custom(format!("unknown step `{name}`")));
        };
        Ok(step)
    }
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
    /// The rider's city (`/ciudad`, or the first place they planned from); searches and plans
    /// stay within it.
    #[serde(default)]
    pub city: Option<String>,
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
            step: Step::Report(ReportStep::Confirm {
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
            }),
            last_trip: None,
            city: Some("trujillo".into()),
        };
        assert_eq!(ChatState::from_json(&s.to_json()), s);
        assert_eq!(ChatState::from_json("{not json"), ChatState::default());
        assert_eq!(
            ChatState::from_json(r#"{"step":{"step":"from_the_future"}}"#),
            ChatState::default()
        );
    }

    /// Every flow's steps as a conversation stored before the flows had types wrote them: each
    /// reads as its flow's step and is written back the same.
    #[test]
    fn steps_stored_before_the_flows_had_types_read_and_write_the_same() {
        let stored = [
            r#"{"step":"idle"}"#,
            r#"{"step":"language","onboarding":true}"#,
            r#"{"step":"consent"}"#,
            r#"{"step":"profile_age","profile":{"gender":"mujer","age_band":null,"disability":false,"caregiver":false}}"#,
            r#"{"step":"profile_menu"}"#,
            r#"{"step":"route_when","from":{"label":"a","stops":["s1"],"point":null,"route":null},"to":{"label":"b","stops":[],"point":[-16.4,-71.5],"route":"r1"}}"#,
            r#"{"step":"departures_stop","choices":[]}"#,
            r#"{"step":"report_category","group":"acoso"}"#,
            r#"{"step":"report_actor","draft":{"category":"robo","place":null,"occurred_at":null,"description":null,"gender":null,"age_band":null,"nonce":"n","photo":null,"actor_involved":null,"actor_victim":null},"victim":true}"#,
            r#"{"step":"survey_satisfaction","route":"arequipa:1","safety":4}"#,
            r#"{"step":"questionnaire_pick","choices":[["mujeres","Mujeres"]]}"#,
            r#"{"step":"erase_confirm"}"#,
        ];
        let flows: Vec<&str> = stored
            .iter()
            .map(|json| {
                let step: Step =
                    serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
                let back: serde_json::Value = serde_json::to_value(&step).unwrap();
                let want: serde_json::Value = serde_json::from_str(json).unwrap();
                assert_eq!(back, want, "{json}");
                match step {
                    Step::Idle => "idle",
                    Step::Language(_) => "language",
                    Step::Profile(_) => "profile",
                    Step::Route(_) => "route",
                    Step::Departures(_) => "departures",
                    Step::Report(_) => "report",
                    Step::Rating(_) => "rating",
                    Step::Questionnaire(_) => "questionnaire",
                    Step::Erase(_) => "erase",
                }
            })
            .collect();
        assert_eq!(
            flows,
            [
                "idle",
                "language",
                "profile",
                "profile",
                "profile",
                "route",
                "departures",
                "report",
                "report",
                "rating",
                "questionnaire",
                "erase"
            ]
        );
        // A step of a flow with fields it does not have, or none of ours: an error.
        for bad in [
            r#"{"step":"report_where"}"#,
            r#"{"step":"report_nothing"}"#,
            r#"{}"#,
        ] {
            assert!(serde_json::from_str::<Step>(bad).is_err(), "{bad}");
        }
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
