//! Surveys as data: definitions (questions, options, single or multiple choice, scales, free
//! text, skip conditions, labels in Spanish, English and Quechua), the checks a definition
//! must pass before it is published, and the checks an answer must pass before it is stored.
//!
//! A definition is stored with a version; an answer names the version it answers, so a
//! definition can change without breaking the meaning of older answers. The three surveys of
//! Arequipa Bus (a profile, women's safety, accessibility) are the seed ([`seeds`]).
//!
//! In the public releases an answer counts in the cells `survey.question.option` of the
//! options it chose ([`Definition::answer_keys`]); free text never leaves the store.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// A text in each language riders read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    /// Spanish (required; the fallback).
    pub es: String,
    /// English.
    #[serde(default)]
    pub en: String,
    /// Quechua.
    #[serde(default)]
    pub qu: String,
}

impl Labels {
    /// The text in the language with ISO code `lang`, Spanish when it has none.
    pub fn get(&self, lang: &str) -> &str {
        let t = match lang {
            "en" => &self.en,
            "qu" => &self.qu,
            _ => &self.es,
        };
        if t.trim().is_empty() { &self.es } else { t }
    }
}

/// How a question is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// One option.
    Single,
    /// One or more options.
    Multi,
    /// One point of an ordered scale; option codes are `1`…`n` (higher is better).
    Scale,
    /// Free text (kept for officials only, never released).
    Text,
}

impl QuestionKind {
    /// Its word in definitions and answers (`single`, `multi`, `scale`, `text`).
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Single => "single",
            QuestionKind::Multi => "multi",
            QuestionKind::Scale => "scale",
            QuestionKind::Text => "text",
        }
    }
}

/// An option of a question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Stable code.
    pub code: String,
    /// Its text.
    pub label: Labels,
    /// Chosen alone ("none of these"), never with another option.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exclusive: bool,
}

/// Ask a question only if an earlier one was answered with one of these options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Code of an earlier question.
    pub question: String,
    /// Any of these options of it.
    pub any_of: Vec<String>,
}

/// A question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Stable code.
    pub code: String,
    /// The question.
    pub text: Labels,
    /// How it is answered.
    pub kind: QuestionKind,
    /// Must be answered (when shown).
    #[serde(default)]
    pub required: bool,
    /// Options (none for free text).
    #[serde(default)]
    pub options: Vec<Choice>,
    /// Shown only when an earlier answer says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<Condition>,
    /// Longest free text, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<u32>,
    /// A profile question: its options are exactly the one vocabulary of that field (the
    /// words reports, planned trips and the bot's profile use), and its answer is also the
    /// response's gender or age band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileField>,
}

/// The profile fields a survey question may ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileField {
    /// [`crate::model::Gender`].
    Gender,
    /// [`crate::model::AgeBand`].
    AgeBand,
}

impl ProfileField {
    /// The vocabulary's words, in order.
    pub fn words(self) -> Vec<&'static str> {
        match self {
            ProfileField::Gender => crate::model::Gender::ALL
                .iter()
                .map(|g| g.as_str())
                .collect(),
            ProfileField::AgeBand => crate::model::AgeBand::ALL
                .iter()
                .map(|a| a.as_str())
                .collect(),
        }
    }
}

/// A survey definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// Stable code (`perfil`, `mujeres`, `accesibilidad`).
    pub code: String,
    /// Title.
    pub title: Labels,
    /// What it is for, shown before the first question.
    pub intro: Labels,
    /// Shown after the last answer.
    pub outro: Labels,
    /// The questions, in order.
    pub questions: Vec<Question>,
}

/// Most questions a survey may have.
pub const MAX_QUESTIONS: usize = 40;
/// Most options a question may have.
pub const MAX_OPTIONS: usize = 30;
/// Longest free text a question may allow.
pub const MAX_TEXT: u32 = 2000;

fn good_code(c: &str) -> bool {
    (1..=40).contains(&c.len())
        && c.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Definition {
    /// Checks a definition before it is published: codes (`a-z`, `0-9`, `_`, at most 40)
    /// unique, Spanish labels present, options where the kind needs them (a scale's are
    /// `1`…`n`), conditions pointing at an earlier question's options. The error names what
    /// is wrong (for the official who wrote it).
    pub fn check(&self) -> Result<(), String> {
        if !good_code(&self.code) {
            return Err(format!("survey code «{}»: use a-z, 0-9 and _", self.code));
        }
        for (what, l) in [
            ("title", &self.title),
            ("intro", &self.intro),
            ("outro", &self.outro),
        ] {
            if l.es.trim().is_empty() {
                return Err(format!("{what}: the Spanish text is missing"));
            }
        }
        if self.questions.is_empty() || self.questions.len() > MAX_QUESTIONS {
            return Err(format!("a survey has 1 to {MAX_QUESTIONS} questions"));
        }
        let mut seen: BTreeMap<&str, &Question> = BTreeMap::new();
        for q in &self.questions {
            let at = format!("question «{}»", q.code);
            if !good_code(&q.code) {
                return Err(format!("{at}: use a-z, 0-9 and _ in codes"));
            }
            if seen.contains_key(q.code.as_str()) {
                return Err(format!("{at}: code used twice"));
            }
            if q.text.es.trim().is_empty() {
                return Err(format!("{at}: the Spanish text is missing"));
            }
            let mut codes = HashSet::new();
            for o in &q.options {
                if !good_code(&o.code) || !codes.insert(o.code.as_str()) {
                    return Err(format!("{at}: option «{}» is not a unique code", o.code));
                }
                if o.label.es.trim().is_empty() {
                    return Err(format!("{at}: option «{}» has no Spanish label", o.code));
                }
            }
            match q.kind {
                QuestionKind::Text => {
                    if !q.options.is_empty() {
                        return Err(format!("{at}: free text takes no options"));
                    }
                    if !(1..=MAX_TEXT).contains(&q.max_chars.unwrap_or(0)) {
                        return Err(format!("{at}: max_chars between 1 and {MAX_TEXT}"));
                    }
                }
                kind => {
                    if q.options.len() < 2 || q.options.len() > MAX_OPTIONS {
                        return Err(format!("{at}: 2 to {MAX_OPTIONS} options"));
                    }
                    if kind == QuestionKind::Scale {
                        let expected: Vec<String> =
                            (1..=q.options.len()).map(|i| i.to_string()).collect();
                        let got: Vec<&str> = q.options.iter().map(|o| o.code.as_str()).collect();
                        if got != expected {
                            return Err(format!("{at}: a scale's options are 1 … n, in order"));
                        }
                    }
                    if kind != QuestionKind::Multi && q.options.iter().any(|o| o.exclusive) {
                        return Err(format!("{at}: only multiple choice has exclusive options"));
                    }
                }
            }
            if let Some(field) = q.profile {
                let got: Vec<&str> = q.options.iter().map(|o| o.code.as_str()).collect();
                if q.kind != QuestionKind::Single || got != field.words() {
                    return Err(format!(
                        "{at}: a profile question is single choice over exactly {}",
                        field.words().join(", ")
                    ));
                }
            }
            if let Some(c) = &q.show_if {
                let Some(earlier) = seen.get(c.question.as_str()) else {
                    return Err(format!("{at}: show_if names no earlier question"));
                };
                if c.any_of.is_empty()
                    || c.any_of
                        .iter()
                        .any(|a| !earlier.options.iter().any(|o| &o.code == a))
                {
                    return Err(format!(
                        "{at}: show_if names options «{}» lacks",
                        c.question
                    ));
                }
            }
            seen.insert(&q.code, q);
        }
        Ok(())
    }

    /// The question `code`.
    pub fn question(&self, code: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.code == code)
    }

    /// The release cells of this survey, `survey.question.option`, for every option of every
    /// question with options.
    pub fn answer_keys(&self) -> Vec<String> {
        self.questions
            .iter()
            .flat_map(|q| {
                q.options
                    .iter()
                    .map(move |o| answer_key(&self.code, &q.code, &o.code))
            })
            .collect()
    }

    /// The most release cells one answer of this survey can fall in (one per single-choice
    /// or scale question, every option of a multiple-choice one): the sensitivity of the
    /// answers table depends on it.
    pub fn max_cells(&self) -> u32 {
        self.questions
            .iter()
            .map(|q| match q.kind {
                QuestionKind::Text => 0,
                QuestionKind::Single | QuestionKind::Scale => 1,
                QuestionKind::Multi => u32::try_from(q.options.len()).unwrap_or(u32::MAX),
            })
            .sum()
    }

    /// Whether `q` is asked, given the answers so far.
    pub fn shown(&self, q: &Question, answers: &BTreeMap<String, Given>) -> bool {
        match &q.show_if {
            None => true,
            Some(c) => answers
                .get(&c.question)
                .is_some_and(|g| g.options().iter().any(|o| c.any_of.contains(o))),
        }
    }

    /// Checks an answer against this definition. Every question answered must exist and be
    /// shown given the earlier answers; options must be the question's; one option for single
    /// choice and scales, an exclusive option alone; required questions answered when shown;
    /// text within its length. At least one question answered.
    pub fn check_answers(
        &self,
        given: &BTreeMap<String, Given>,
    ) -> Result<Vec<Selection>, AnswerError> {
        if let Some(q) = given.keys().find(|k| self.question(k).is_none()) {
            return Err(AnswerError::UnknownQuestion(q.clone()));
        }
        let mut out = Vec::new();
        for q in &self.questions {
            let shown = self.shown(q, given);
            let Some(g) = given.get(&q.code) else {
                if shown && q.required {
                    return Err(AnswerError::Required(q.code.clone()));
                }
                continue;
            };
            if !shown {
                return Err(AnswerError::NotAsked(q.code.clone()));
            }
            match (q.kind, g) {
                (QuestionKind::Text, Given::Text(t)) => {
                    // Control characters (NUL, escapes) are not text anyone typed.
                    let t = crate::plain_text(t);
                    let t = t.trim();
                    let max = q.max_chars.unwrap_or(0) as usize;
                    if t.chars().count() > max {
                        return Err(AnswerError::TooLong(q.code.clone(), max));
                    }
                    if t.is_empty() {
                        if q.required {
                            return Err(AnswerError::Required(q.code.clone()));
                        }
                        continue;
                    }
                    out.push(Selection {
                        question: q.code.clone(),
                        option: None,
                        text: Some(t.to_string()),
                    });
                }
                (QuestionKind::Text, _) => {
                    return Err(AnswerError::WantsText(q.code.clone()));
                }
                (kind, g) => {
                    let chosen = g.options();
                    if chosen.is_empty() {
                        return Err(AnswerError::Empty(q.code.clone()));
                    }
                    if kind != QuestionKind::Multi && chosen.len() > 1 {
                        return Err(AnswerError::OneOnly(q.code.clone()));
                    }
                    let mut dup = HashSet::new();
                    for c in &chosen {
                        let Some(o) = q.options.iter().find(|o| &o.code == c) else {
                            return Err(AnswerError::UnknownOption(q.code.clone(), c.clone()));
                        };
                        if !dup.insert(c) {
                            return Err(AnswerError::Repeated(q.code.clone(), c.clone()));
                        }
                        if o.exclusive && chosen.len() > 1 {
                            return Err(AnswerError::Exclusive(q.code.clone(), c.clone()));
                        }
                    }
                    // In the definition's order, so that equal answers are stored alike.
                    out.extend(
                        q.options
                            .iter()
                            .filter(|o| chosen.contains(&o.code))
                            .map(|o| Selection {
                                question: q.code.clone(),
                                option: Some(o.code.clone()),
                                text: None,
                            }),
                    );
                }
            }
        }
        if out.is_empty() {
            return Err(AnswerError::Nothing);
        }
        Ok(out)
    }
}

/// The release cells of a set of definitions (every version of every survey), each once, in
/// order of first appearance, and the most cells one answer of any of them can fall in.
pub fn release_domain<'a>(defs: impl IntoIterator<Item = &'a Definition>) -> (Vec<String>, u32) {
    let mut keys = Vec::new();
    let mut seen = HashSet::new();
    let mut widest = 0;
    for d in defs {
        widest = widest.max(d.max_cells());
        for k in d.answer_keys() {
            if seen.insert(k.clone()) {
                keys.push(k);
            }
        }
    }
    (keys, widest)
}

/// The release cell of an option.
pub fn answer_key(survey: &str, question: &str, option: &str) -> String {
    format!("{survey}.{question}.{option}")
}

/// An answer to one question, as given: a list of option codes, one code (a string, or a
/// number for a scale), or a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Given {
    /// Chosen option codes.
    Options(Vec<String>),
    /// A point of a scale.
    Number(i64),
    /// One option code, or free text.
    Text(String),
}

impl Given {
    /// The option codes it names (a text is one code).
    pub fn options(&self) -> Vec<String> {
        match self {
            Given::Options(v) => v.clone(),
            Given::Number(n) => vec![n.to_string()],
            Given::Text(t) => vec![t.clone()],
        }
    }
}

/// One stored part of an answer: an option chosen, or a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    /// Question code.
    pub question: String,
    /// Option code.
    pub option: Option<String>,
    /// Free text.
    pub text: Option<String>,
}

/// Why an answer is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// No such question in this version.
    #[error("unknown question {0}")]
    UnknownQuestion(String),
    /// No such option.
    #[error("question {0}: unknown option {1}")]
    UnknownOption(String, String),
    /// Several options for a one-option question.
    #[error("question {0} takes one option")]
    OneOnly(String),
    /// The same option twice.
    #[error("question {0}: option {1} twice")]
    Repeated(String, String),
    /// An exclusive option with others.
    #[error("question {0}: option {1} goes alone")]
    Exclusive(String, String),
    /// No option chosen.
    #[error("question {0}: no option")]
    Empty(String),
    /// A required question without answer.
    #[error("question {0} is required")]
    Required(String),
    /// Answered though its condition says it is not asked.
    #[error("question {0} is not asked after those answers")]
    NotAsked(String),
    /// Options for a free-text question.
    #[error("question {0} takes text")]
    WantsText(String),
    /// Text too long.
    #[error("question {0}: at most {1} characters")]
    TooLong(String, usize),
    /// Nothing answered.
    #[error("nothing answered")]
    Nothing,
}

/// The surveys paradero starts with: the three of Arequipa Bus (profile, women's safety,
/// accessibility), read from their public seed data, labels translated.
pub fn seeds() -> Vec<Definition> {
    [
        include_str!("../surveys/perfil.toml"),
        include_str!("../surveys/mujeres.toml"),
        include_str!("../surveys/accesibilidad.toml"),
    ]
    .iter()
    .map(|s| toml::from_str(s).unwrap_or_else(|e| panic!("a bundled survey does not parse: {e}")))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Given> {
        pairs
            .iter()
            .map(|(q, o)| {
                (
                    (*q).to_string(),
                    Given::Options(o.iter().map(|s| (*s).to_string()).collect()),
                )
            })
            .collect()
    }

    fn survey(code: &str) -> Definition {
        seeds().into_iter().find(|d| d.code == code).unwrap()
    }

    #[test]
    fn the_seeds_pass_their_own_checks_in_three_languages() {
        let s = seeds();
        assert_eq!(
            s.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
            ["perfil", "mujeres", "accesibilidad"]
        );
        for d in &s {
            d.check().unwrap_or_else(|e| panic!("{}: {e}", d.code));
            let mut labels = vec![&d.title, &d.intro, &d.outro];
            for q in &d.questions {
                labels.push(&q.text);
                labels.extend(q.options.iter().map(|o| &o.label));
            }
            for l in labels {
                assert!(
                    !l.en.trim().is_empty() && !l.qu.trim().is_empty(),
                    "{}: «{}» lacks English or Quechua",
                    d.code,
                    l.es
                );
            }
        }
        // Arequipa Bus's women's-safety survey: its seven questions (three multiple choice) and a comment.
        let m = survey("mujeres");
        let multi = m
            .questions
            .iter()
            .filter(|q| q.kind == QuestionKind::Multi)
            .count();
        assert_eq!((m.questions.len(), multi), (8, 3));
    }

    #[test]
    fn the_profile_survey_asks_in_the_one_gender_and_age_vocabulary() {
        let p = survey("perfil");
        let field = |code: &str| p.question(code).and_then(|q| q.profile);
        assert_eq!(field("genero"), Some(ProfileField::Gender));
        assert_eq!(field("edad"), Some(ProfileField::AgeBand));
        // The Arequipa Bus survey's bands are the seed of the one vocabulary.
        assert_eq!(
            ProfileField::AgeBand.words(),
            ["menor_18", "18_35", "36_50", "51_64", "65_mas"]
        );
        // A profile question with other options, or another kind, is refused.
        for broken in [
            |q: &mut Question| q.options.retain(|o| o.code != "no_binario"),
            |q: &mut Question| q.options.swap(0, 1),
            |q: &mut Question| q.options[2].code = "otro".into(),
            |q: &mut Question| q.kind = QuestionKind::Multi,
        ] {
            let mut d = p.clone();
            broken(&mut d.questions[0]);
            let e = d.check().unwrap_err();
            assert!(e.contains("profile question"), "{e}");
        }
        let mut d = p.clone();
        d.questions[1].options.pop();
        assert!(d.check().unwrap_err().contains("menor_18, 18_35"));
    }

    #[test]
    fn answers_are_checked_against_the_definition() {
        let m = survey("mujeres");
        let ok = m
            .check_answers(&given(&[
                ("segura", &["2"]),
                ("situaciones", &["seguimiento", "miradas"]),
            ]))
            .unwrap();
        // Stored in the definition's order.
        let opts: Vec<_> = ok.iter().filter_map(|s| s.option.as_deref()).collect();
        assert_eq!(opts, ["2", "miradas", "seguimiento"]);
        let err = |g: BTreeMap<String, Given>| m.check_answers(&g).unwrap_err();
        assert_eq!(
            err(given(&[("nope", &["1"])])),
            AnswerError::UnknownQuestion("nope".into())
        );
        assert_eq!(
            err(given(&[("segura", &["1", "2"])])),
            AnswerError::OneOnly("segura".into())
        );
        assert_eq!(
            err(given(&[("segura", &["6"])])),
            AnswerError::UnknownOption("segura".into(), "6".into())
        );
        assert_eq!(
            err(given(&[("situaciones", &["ninguna", "robo"])])),
            AnswerError::Exclusive("situaciones".into(), "ninguna".into())
        );
        assert_eq!(
            err(given(&[("situaciones", &["robo", "robo"])])),
            AnswerError::Repeated("situaciones".into(), "robo".into())
        );
        assert_eq!(
            err(given(&[("situaciones", &[])])),
            AnswerError::Empty("situaciones".into())
        );
        assert_eq!(err(BTreeMap::new()), AnswerError::Nothing);
        let mut text = BTreeMap::new();
        text.insert("segura".to_string(), Given::Text("bien".into()));
        assert_eq!(
            err(text),
            AnswerError::UnknownOption("segura".into(), "bien".into())
        );
        // Control characters are dropped; nothing else left is no answer.
        let mut nul = BTreeMap::new();
        nul.insert(
            "comentarios".to_string(),
            Given::Text("\u{0}\u{1b}\u{7}\n".into()),
        );
        assert_eq!(err(nul), AnswerError::Nothing);
        let mut clean = BTreeMap::new();
        clean.insert("comentarios".to_string(), Given::Text("luz\u{0} ya".into()));
        assert_eq!(
            m.check_answers(&clean).unwrap()[0].text.as_deref(),
            Some("luz ya")
        );
        // A scale point as a number or a string.
        let mut n = BTreeMap::new();
        n.insert("segura".to_string(), Given::Number(4));
        n.insert("motivo".to_string(), Given::Text("estudio".into()));
        assert_eq!(m.check_answers(&n).unwrap().len(), 2);
        let mut opts = BTreeMap::new();
        opts.insert("comentarios".to_string(), Given::Options(vec!["x".into()]));
        assert_eq!(err(opts), AnswerError::WantsText("comentarios".into()));
        let mut long = BTreeMap::new();
        long.insert("comentarios".to_string(), Given::Text("a".repeat(501)));
        assert_eq!(err(long), AnswerError::TooLong("comentarios".into(), 500));
    }

    #[test]
    fn skip_conditions_hold() {
        let a = survey("accesibilidad");
        // The type of disability is asked of people with one and their carers only.
        a.check_answers(&given(&[
            ("relacion", &["cuidador"]),
            ("tipo", &["visual", "motora"]),
        ]))
        .unwrap();
        assert_eq!(
            a.check_answers(&given(&[
                ("relacion", &["adulto_mayor"]),
                ("tipo", &["visual"])
            ]))
            .unwrap_err(),
            AnswerError::NotAsked("tipo".into())
        );
        assert_eq!(
            a.check_answers(&given(&[("tipo", &["visual"])]))
                .unwrap_err(),
            AnswerError::Required("relacion".into()),
            "the first question is required"
        );
    }

    #[test]
    fn bad_definitions_are_refused_with_a_reason() {
        let mut d = survey("perfil");
        d.check().unwrap();
        d.questions[1].code = d.questions[0].code.clone();
        assert!(d.check().unwrap_err().contains("twice"));
        let mut d = survey("mujeres");
        let q = d
            .questions
            .iter_mut()
            .find(|q| q.kind == QuestionKind::Scale)
            .unwrap();
        q.options.swap(0, 1);
        assert!(d.check().unwrap_err().contains("scale"));
        let mut d = survey("accesibilidad");
        d.questions.swap(0, 1);
        assert!(d.check().unwrap_err().contains("show_if"));
        let mut d = survey("perfil");
        d.code = "Perfil!".into();
        assert!(d.check().is_err());
    }

    #[test]
    fn cells_cover_every_option_and_bound_an_answer() {
        let m = survey("mujeres");
        let keys = m.answer_keys();
        assert!(keys.contains(&"mujeres.situaciones.ninguna".to_string()));
        let options: usize = m.questions.iter().map(|q| q.options.len()).sum();
        assert_eq!(keys.len(), options);
        // The widest possible answer: every question, every option of the multi ones.
        let mut widest = BTreeMap::new();
        for q in &m.questions {
            let chosen: Vec<String> = match q.kind {
                QuestionKind::Multi => q
                    .options
                    .iter()
                    .filter(|o| !o.exclusive)
                    .map(|o| o.code.clone())
                    .collect(),
                QuestionKind::Text => continue,
                _ => vec![q.options[0].code.clone()],
            };
            widest.insert(q.code.clone(), Given::Options(chosen));
        }
        let n = m
            .check_answers(&widest)
            .unwrap()
            .iter()
            .filter(|s| s.option.is_some())
            .count();
        assert!(u32::try_from(n).unwrap() <= m.max_cells());
    }
}
