//! Surveys as data: list and show the live surveys in the asker's language, take answers
//! (checked against the version answered), publish and retire versions (admins), export the
//! raw answers (officials). The three surveys of Arequipa Bus are seeded on first use.

use crate::{Error, Obs, now_unix, officials, word};
use i18n::Lang;
use observatory::questionnaire::{AnswerError, Definition, Given, ProfileField};
use serde::Serialize;
use std::collections::BTreeMap;
use store::{AgeBand, Channel, Gender, NewResponse, Official, Role, StoredSurvey};
use timetable::Timetable;

/// A survey as riders see it, in their language.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyView {
    /// Stable code.
    pub code: String,
    /// The version shown (send it back with the answer).
    pub version: i32,
    /// Title.
    pub title: String,
    /// What it is for.
    pub intro: String,
    /// Shown after the last answer.
    pub outro: String,
    /// The questions, in order.
    pub questions: Vec<QuestionView>,
}

/// A question.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuestionView {
    /// Stable code (the key of its answer).
    pub code: String,
    /// The question.
    pub text: String,
    /// `single`, `multi`, `scale` (options `1`…`n`, higher is better) or `text`.
    pub kind: String,
    /// Must be answered when shown.
    pub required: bool,
    /// Options (none for text).
    pub options: Vec<OptionView>,
    /// Asked only if question `question` was answered with one of `any_of`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_if: Option<ConditionView>,
    /// Longest text, for `text` questions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<u32>,
}

/// An option.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OptionView {
    /// Stable code.
    pub code: String,
    /// Its text.
    pub label: String,
    /// Chosen alone ("none of these").
    pub exclusive: bool,
}

/// A skip condition.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConditionView {
    /// An earlier question.
    pub question: String,
    /// Any of these of its options.
    pub any_of: Vec<String>,
}

/// A survey's versions as officials see them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Published {
    /// Survey code.
    pub code: String,
    /// The version now live.
    pub version: i32,
}

/// The definition in `lang`.
pub fn view(d: &Definition, version: i32, lang: Lang) -> SurveyView {
    let l = lang.code();
    SurveyView {
        code: d.code.clone(),
        version,
        title: d.title.get(l).to_string(),
        intro: d.intro.get(l).to_string(),
        outro: d.outro.get(l).to_string(),
        questions: d
            .questions
            .iter()
            .map(|q| QuestionView {
                code: q.code.clone(),
                text: q.text.get(l).to_string(),
                kind: q.kind.as_str().to_string(),
                required: q.required,
                options: q
                    .options
                    .iter()
                    .map(|o| OptionView {
                        code: o.code.clone(),
                        label: o.label.get(l).to_string(),
                        exclusive: o.exclusive,
                    })
                    .collect(),
                show_if: q.show_if.as_ref().map(|c| ConditionView {
                    question: c.question.clone(),
                    any_of: c.any_of.clone(),
                }),
                max_chars: q.max_chars,
            })
            .collect(),
    }
}

fn parse(s: &StoredSurvey, lang: Lang) -> Result<Definition, Error> {
    serde_json::from_str(&s.body).map_err(|e| {
        tracing::error!(survey = %s.code, version = s.version, "a stored survey does not parse: {e}");
        Error::Internal(i18n::t(lang, "survey.broken", &[("text", &s.code)]))
    })
}

/// Stores the bundled surveys the database has no version of, or an updated seed as the next
/// version of an unchanged earlier seed ([`store::Store::seed_survey`]), once per process.
pub async fn ensure_seeded(o: &Obs, lang: Lang) -> Result<(), Error> {
    o.surveys_seeded
        .get_or_try_init(|| async {
            let now = now_unix();
            for (i, d) in observatory::questionnaire::seeds().into_iter().enumerate() {
                let body = serde_json::to_string(&d).map_err(|e| Error::Internal(e.to_string()))?;
                let position = i32::try_from(i).unwrap_or(i32::MAX);
                o.store
                    .seed_survey(&d.code, &body, position, now)
                    .await
                    .map_err(|e| Error::from_store(&e, lang))?;
            }
            Ok::<(), Error>(())
        })
        .await?;
    Ok(())
}

/// The live surveys (latest version of each, retired ones left out), in `lang`.
pub(crate) async fn list(o: &Obs, lang: Lang) -> Result<Vec<SurveyView>, Error> {
    ensure_seeded(o, lang).await?;
    let stored = o
        .store
        .surveys_latest()
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    stored
        .iter()
        .filter(|s| s.retired_at.is_none())
        .map(|s| Ok(view(&parse(s, lang)?, s.version, lang)))
        .collect()
}

/// A survey: `version`, or the latest; a retired survey is not found unless a version is
/// asked for (answers already given keep their meaning).
pub(crate) async fn get(
    o: &Obs,
    code: &str,
    version: Option<i32>,
    lang: Lang,
) -> Result<(Definition, i32), Error> {
    ensure_seeded(o, lang).await?;
    let unknown = || Error::NotFound(i18n::t(lang, "survey.unknown", &[("text", &code)]));
    let stored = match version {
        Some(v) => o
            .store
            .survey_version(code, v)
            .await
            .map_err(|e| Error::from_store(&e, lang))?
            .ok_or_else(|| {
                Error::NotFound(i18n::t(
                    lang,
                    "survey.unknown_version",
                    &[("text", &code), ("version", &v)],
                ))
            })?,
        None => o
            .store
            .surveys_latest()
            .await
            .map_err(|e| Error::from_store(&e, lang))?
            .into_iter()
            .find(|s| s.code == code && s.retired_at.is_none())
            .ok_or_else(unknown)?,
    };
    Ok((parse(&stored, lang)?, stored.version))
}

/// An answer as given.
#[derive(Debug, Clone, Default)]
pub struct AnswerInput<'a> {
    /// The version answered; `None`: the latest.
    pub version: Option<i32>,
    /// Question code → options chosen or text.
    pub answers: BTreeMap<String, Given>,
    /// Declared gender (consented profile).
    pub gender: Option<&'a str>,
    /// Declared age band.
    pub age_band: Option<&'a str>,
    /// Channel.
    pub channel: Option<Channel>,
    /// Hashed bot rider handle.
    pub rider: Option<String>,
}

/// What went wrong with an answer, in the asker's language.
///
/// [`Error::Unprocessable`]: the answer is well formed, and only the survey's definition
/// (which no schema carries) says it does not fit.
pub fn answer_error(e: &AnswerError, lang: Lang) -> Error {
    // What the asker sent is echoed, but not at any length.
    let short = |s: &str| -> String {
        if s.chars().count() > 60 {
            format!("{}…", s.chars().take(60).collect::<String>())
        } else {
            s.to_string()
        }
    };
    let t = |key: &str, q: &str, o: &str| {
        Error::Unprocessable(i18n::t(
            lang,
            key,
            &[("question", &short(q)), ("option", &short(o))],
        ))
    };
    match e {
        AnswerError::UnknownQuestion(q) => t("survey.unknown_question", q, ""),
        AnswerError::UnknownOption(q, o) => t("survey.unknown_option", q, o),
        AnswerError::OneOnly(q) => t("survey.one_only", q, ""),
        AnswerError::Repeated(q, o) => t("survey.repeated", q, o),
        AnswerError::Exclusive(q, o) => t("survey.exclusive", q, o),
        AnswerError::Empty(q) => t("survey.empty", q, ""),
        AnswerError::Required(q) => t("survey.required", q, ""),
        AnswerError::NotAsked(q) => t("survey.not_asked", q, ""),
        AnswerError::WantsText(q) => t("survey.wants_text", q, ""),
        AnswerError::TooLong(q, n) => Error::Unprocessable(i18n::t(
            lang,
            "survey.too_long",
            &[("question", q), ("max", n)],
        )),
        AnswerError::Nothing => t("survey.nothing", "", ""),
    }
}

/// What was recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recorded {
    /// `recorded`.
    pub status: String,
    /// The survey.
    pub survey: String,
    /// The version answered.
    pub version: i32,
    /// The survey's closing words, in the asker's language.
    pub outro: String,
}

/// Checks and stores an answer to `code`. Nothing is stored unless all of it is valid.
pub(crate) async fn answer(
    o: &Obs,
    tt: &Timetable,
    code: &str,
    a: &AnswerInput<'_>,
    lang: Lang,
) -> Result<Recorded, Error> {
    let (def, version) = get(o, code, a.version, lang).await?;
    if a.version.is_some() {
        // An old version may be answered (a form opened before an update), a retired survey not.
        get(o, code, None, lang).await?;
    }
    let selections = def
        .check_answers(&a.answers)
        .map_err(|e| answer_error(&e, lang))?;
    let mut gender = word::<Gender>(lang, "gender", a.gender)?;
    let mut age_band = word::<AgeBand>(lang, "age_band", a.age_band)?;
    // A profile question's answer is the response's gender or age band (the same words).
    for s in &selections {
        let field = def.question(&s.question).and_then(|q| q.profile);
        let option = s.option.as_deref().unwrap_or("");
        match field {
            Some(ProfileField::Gender) => gender = option.parse().ok().or(gender),
            Some(ProfileField::AgeBand) => age_band = option.parse().ok().or(age_band),
            None => {}
        }
    }
    let now = now_unix();
    let response = NewResponse {
        survey: def.code.clone(),
        version,
        answered_at: now,
        local_hour: planner::clock::unix_to_local(tt, now).1,
        gender: gender.map(|g| g.as_str().to_string()),
        age_band: age_band.map(|g| g.as_str().to_string()),
        channel: a.channel.unwrap_or(Channel::Api),
        rider: a.rider.clone(),
        selections: selections
            .into_iter()
            .map(|s| (s.question, s.option, s.text))
            .collect(),
    };
    o.store
        .add_response(&response)
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    Ok(Recorded {
        status: "recorded".into(),
        survey: def.code.clone(),
        version,
        outro: def.outro.get(lang.code()).to_string(),
    })
}

/// Publishes a new version of a survey (admins): the definition must pass its checks and
/// carry the code it is published under.
pub(crate) async fn publish(
    o: &Obs,
    who: &Official,
    code: &str,
    body: &str,
    lang: Lang,
) -> Result<Published, Error> {
    officials::require(who, Role::Admin, lang)?;
    ensure_seeded(o, lang).await?;
    let def: Definition = serde_json::from_str(body).map_err(|e| {
        Error::Invalid(i18n::t(
            lang,
            "survey.bad_definition",
            &[("text", &e.to_string())],
        ))
    })?;
    if def.code != code {
        return Err(Error::Invalid(i18n::t(
            lang,
            "survey.bad_definition",
            &[("text", &format!("code «{}» ≠ «{code}»", def.code))],
        )));
    }
    def.check().map_err(|e| {
        Error::Unprocessable(i18n::t(lang, "survey.bad_definition", &[("text", &e)]))
    })?;
    // Stored as the library writes it (normalised), not as sent.
    let normal = serde_json::to_string(&def).map_err(|e| Error::Internal(e.to_string()))?;
    let version = o
        .store
        .publish_survey(code, &normal, &who.name, now_unix())
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    tracing::info!(survey = %code, version, by = %who.name, "survey version published");
    Ok(Published {
        code: code.to_string(),
        version,
    })
}

/// Retires a survey (admins): no new answers; its versions and answers stay.
pub(crate) async fn retire(o: &Obs, who: &Official, code: &str, lang: Lang) -> Result<(), Error> {
    officials::require(who, Role::Admin, lang)?;
    ensure_seeded(o, lang).await?;
    if o.store
        .retire_survey(code, now_unix())
        .await
        .map_err(|e| Error::from_store(&e, lang))?
    {
        tracing::info!(survey = %code, by = %who.name, "survey retired");
        Ok(())
    } else {
        Err(Error::NotFound(i18n::t(
            lang,
            "survey.unknown",
            &[("text", &code)],
        )))
    }
}

/// A cell a spreadsheet would run as a formula is quoted as text.
fn spreadsheet_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// The raw answers to a survey answered in `[from, to)` as CSV (viewers and above): one line
/// per option chosen, pseudonymous ids (a random response id; a bot rider's responses share
/// a respondent id derived from the hashed handle), free texts only with `with_text`.
pub(crate) async fn export_csv(
    o: &Obs,
    who: &Official,
    code: &str,
    from: i64,
    to: i64,
    with_text: bool,
    lang: Lang,
) -> Result<String, Error> {
    officials::require(who, Role::Viewer, lang)?;
    ensure_seeded(o, lang).await?;
    let known = o
        .store
        .surveys_latest()
        .await
        .map_err(|e| Error::from_store(&e, lang))?
        .iter()
        .any(|s| s.code == code);
    if !known {
        return Err(Error::NotFound(i18n::t(
            lang,
            "survey.unknown",
            &[("text", &code)],
        )));
    }
    let lines = o
        .store
        .export_responses(code, from, to, with_text)
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    tracing::info!(survey = %code, by = %who.name, lines = lines.len(), with_text, "survey answers exported");
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| Error::Internal(e.to_string());
    w.write_record([
        "response",
        "respondent",
        "version",
        "answered_at",
        "channel",
        "gender",
        "age_band",
        "question",
        "option",
        "text",
    ])
    .map_err(csv_err)?;
    for l in &lines {
        let respondent = match &l.rider {
            Some(r) => format!(
                "b-{}",
                &observatory::sha256_hex(&format!("export:{r}"))[..12]
            ),
            None => format!("a-{:x}", l.response),
        };
        let at = chrono::DateTime::from_timestamp(l.answered_at, 0)
            .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default();
        w.write_record([
            format!("{:x}", l.response),
            respondent,
            l.version.to_string(),
            at,
            l.channel.clone(),
            l.gender.clone().unwrap_or_default(),
            l.age_band.clone().unwrap_or_default(),
            l.question.clone(),
            l.option.clone().unwrap_or_default(),
            spreadsheet_safe(l.text.as_deref().unwrap_or("")),
        ])
        .map_err(csv_err)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| Error::Internal(e.to_string()))
}
