//! Surveys as data: the seeded Arequipa Bus surveys are listed in the rider's language, answers
//! are checked against the version answered (bad ones store nothing), admins publish versions
//! and retire surveys without a restart, officials export CSV, and answers reach the public
//! releases only as noisy cells.

use super::observatory::{Backend, open_store};
use app::Obs;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use server::{AppState, Settings, app};
use std::sync::Arc;
use tower::ServiceExt;

/// A server on a fresh store (the categories' tests use it too).
pub(super) struct Env {
    pub(super) state: Arc<AppState>,
    pub(super) obs: Arc<Obs>,
    _dir: tempfile::TempDir,
}

pub(super) async fn env_on(backend: Backend) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(backend, dir.path()).await;
    let (state, obs) = super::with_store(store, Settings::default());
    Env {
        state,
        obs,
        _dir: dir,
    }
}

/// Runs a test body on both backends.
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(super::env_on(super::Backend::Sqlite).await).await;
            }
            #[tokio::test]
            async fn postgres() {
                super::$name(super::env_on(super::Backend::Postgres).await).await;
            }
        }
    )*};
}

pub(super) use both;

impl Env {
    pub(super) async fn call(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (StatusCode, Value, String) {
        let mut req = Request::builder().method(method).uri(uri);
        let mut typed = false;
        for (k, v) in headers {
            typed |= k.eq_ignore_ascii_case("content-type");
            req = req.header(*k, *v);
        }
        if !body.is_empty() && !typed {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let res = app(self.state.clone())
            .oneshot(req.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let ctype = res
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if status.is_client_error() {
            assert_eq!(ctype, "application/problem+json", "{uri}: {text}");
        }
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text,
        )
    }

    async fn answers(&self, survey: &str) -> i64 {
        self.obs.store().count_responses(survey).await.unwrap()
    }

    pub(super) async fn token(&self, name: &str, role: store::Role) -> String {
        let t = self
            .obs
            .store()
            .create_official(name, role, 0)
            .await
            .unwrap();
        format!("Bearer {t}")
    }
}

async fn the_arequipa_bus_surveys_are_listed_in_the_riders_language(e: Env) {
    let (s, es, _) = e.call("GET", "/v1/surveys", &[], "").await;
    assert_eq!(s, StatusCode::OK);
    let codes: Vec<&str> = es["surveys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["perfil", "mujeres", "accesibilidad"]);
    let mujeres = &es["surveys"][1];
    assert_eq!(mujeres["version"], 1);
    assert_eq!(
        mujeres["questions"][3]["text"],
        "¿Te sientes segura utilizando el transporte público?"
    );
    assert_eq!(mujeres["questions"][3]["kind"], "scale");
    assert_eq!(mujeres["questions"][2]["kind"], "multi");
    let (_, qu, _) = e.call("GET", "/v1/surveys/mujeres?lang=qu", &[], "").await;
    assert_eq!(
        qu["questions"][3]["text"],
        "¿Antawapi mana manchakuspachu purinki?"
    );
    // The skip condition travels with the question.
    let (_, acc, _) = e.call("GET", "/v1/surveys/accesibilidad", &[], "").await;
    assert_eq!(acc["questions"][1]["show_if"]["question"], "relacion");
    let (s, _, _) = e.call("GET", "/v1/surveys/nope", &[], "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = e
        .call("GET", "/v1/surveys/mujeres?version=9", &[], "")
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = e
        .call("GET", "/v1/surveys/mujeres?version=x", &[], "")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

async fn good_answers_are_stored_and_bad_ones_store_nothing(e: Env) {
    let url = "/v1/surveys/mujeres/responses";
    let ok = json!({
        "version": 1,
        "answers": {"frecuencia": "diario", "horario": ["manana", "tarde_noche"], "segura": 2.0,
                    "situaciones": ["miradas", "seguimiento"], "comentarios": "Falta luz."},
        "gender": "mujer", "channel": "web"
    });
    let (s, v, t) = e.call("POST", url, &[], &ok.to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(v["version"], 1);
    assert!(v["outro"].as_str().unwrap().starts_with("Gracias"));
    assert_eq!(e.answers("mujeres").await, 1);
    let bad: &[(&str, Value, StatusCode, &str)] = &[
        (
            url,
            json!({"answers": {"nope": "x"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "nope",
        ),
        (
            url,
            json!({"answers": {"segura": [1, 2]}}),
            StatusCode::BAD_REQUEST,
            "a list of option codes",
        ),
        (
            url,
            json!({"answers": {"frecuencia": ["diario", "rara_vez"]}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "una sola",
        ),
        (
            url,
            json!({"answers": {"segura": 2.5}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "«2.5»",
        ),
        (
            url,
            json!({"answers": {"segura": 9}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "«9»",
        ),
        (
            url,
            json!({"answers": {"situaciones": ["ninguna", "robo"]}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "va sola",
        ),
        (
            url,
            json!({"answers": {"comentarios": "x".repeat(501)}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "500",
        ),
        (
            url,
            json!({"answers": {}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "ninguna",
        ),
        (
            url,
            json!({"answers": {"segura": 3}, "gender": "robot"}),
            StatusCode::BAD_REQUEST,
            "robot",
        ),
        (
            url,
            json!({"answers": {"segura": 3}, "extra": 1}),
            StatusCode::BAD_REQUEST,
            "",
        ),
        (
            url,
            json!({"answers": {"segura": 3}, "version": 7}),
            StatusCode::NOT_FOUND,
            "7",
        ),
        (
            "/v1/surveys/accesibilidad/responses",
            json!({"answers": {"relacion": "adulto_mayor", "tipo": ["visual"]}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "tipo",
        ),
        (
            "/v1/surveys/accesibilidad/responses",
            json!({"answers": {"facilidad": 4}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "relacion",
        ),
        (
            "/v1/surveys/nope/responses",
            json!({"answers": {"a": "b"}}),
            StatusCode::NOT_FOUND,
            "nope",
        ),
    ];
    for (u, body, status, says) in bad {
        let (s, v, t) = e.call("POST", u, &[], &body.to_string()).await;
        assert_eq!(s, *status, "{body}: {t}");
        assert!(v["detail"].as_str().unwrap().contains(says), "{body}: {t}");
    }
    let (s, _, _) = e
        .call("POST", url, &[("content-type", "text/plain")], "segura=3")
        .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (s, _, _) = e.call("POST", url, &[], "{not json").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e.answers("mujeres").await, 1, "nothing more stored");
    assert_eq!(e.answers("accesibilidad").await, 0);
    // The skip condition met: the type of disability is asked.
    let (s, _, t) = e
        .call(
            "POST",
            "/v1/surveys/accesibilidad/responses",
            &[],
            &json!({"answers": {"relacion": "cuidador", "tipo": ["visual", "motora"]}}).to_string(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
}

async fn admins_publish_versions_and_retire_surveys_without_a_restart(e: Env) {
    let admin = e.token("ana", store::Role::Admin).await;
    let viewer = e.token("vera", store::Role::Viewer).await;
    let (_, v1, _) = e.call("GET", "/v1/surveys/perfil", &[], "").await;
    assert_eq!(v1["version"], 1);
    // Version 2 of the profile: one more question, in three languages.
    let mut def = observatory::questionnaire::seeds().remove(0);
    def.questions.push(observatory::questionnaire::Question {
        code: "cuidado".into(),
        text: observatory::questionnaire::Labels {
            es: "¿Acompañas a niños o personas mayores en tus viajes?".into(),
            en: "Do you travel with children or older people in your care?".into(),
            qu: "¿Wawakunata utaq machu payakunata pusaspa purinkichu?".into(),
        },
        kind: observatory::questionnaire::QuestionKind::Single,
        required: false,
        options: ["si", "no"]
            .iter()
            .map(|c| observatory::questionnaire::Choice {
                code: (*c).into(),
                label: observatory::questionnaire::Labels {
                    es: (*c).into(),
                    en: (*c).into(),
                    qu: (*c).into(),
                },
                exclusive: false,
            })
            .collect(),
        show_if: None,
        max_chars: None,
        profile: None,
    });
    let body = serde_json::to_string(&def).unwrap();
    let auth = |t: &str| [("authorization", t.to_string())];
    let put = |t: Option<&str>, b: String| {
        let headers: Vec<(String, String)> = t
            .map(|t| vec![("authorization".to_string(), t.to_string())])
            .unwrap_or_default();
        let e = &e;
        async move {
            let h: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            e.call("PUT", "/v1/surveys/perfil", &h, &b).await
        }
    };
    assert_eq!(put(None, body.clone()).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        put(Some(&viewer), body.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    // A definition that fails its checks says why; a code that differs from the path's too.
    let mut broken = def.clone();
    broken.questions[0].options.clear();
    let (s, v, _) = put(Some(&admin), serde_json::to_string(&broken).unwrap()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["detail"].as_str().unwrap().contains("genero"), "{v}");
    let mut other = def.clone();
    other.code = "otra".into();
    let (s, _, _) = put(Some(&admin), serde_json::to_string(&other).unwrap()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = put(Some(&admin), "{\"code\": \"perfil\"}".into()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, v, t) = put(Some(&admin), body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(v["version"], 2);
    // Live at once: the list shows version 2; version 1 is still there for its answers.
    let (_, list, _) = e.call("GET", "/v1/surveys", &[], "").await;
    assert_eq!(list["surveys"][0]["version"], 2);
    assert_eq!(list["surveys"][0]["questions"][3]["code"], "cuidado");
    let (_, old, _) = e.call("GET", "/v1/surveys/perfil?version=1", &[], "").await;
    assert_eq!(old["questions"].as_array().unwrap().len(), 3);
    let answer =
        |version: i64, q: &str| json!({"version": version, "answers": {q: "si"}}).to_string();
    let url = "/v1/surveys/perfil/responses";
    assert_eq!(
        e.call("POST", url, &[], &answer(2, "cuidado")).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        e.call("POST", url, &[], &answer(1, "cuidado")).await.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "version 1 has no such question"
    );
    assert_eq!(
        e.call("POST", url, &[], &answer(1, "discapacidad")).await.0,
        StatusCode::CREATED,
        "a form opened before the update still counts"
    );
    // Retired: gone from the list, answers refused, its answers kept.
    let h = auth(&admin);
    let hh: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, _, _) = e.call("DELETE", "/v1/surveys/perfil", &[], "").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, _) = e.call("DELETE", "/v1/surveys/perfil", &hh, "").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = e.call("DELETE", "/v1/surveys/perfil", &hh, "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list, _) = e.call("GET", "/v1/surveys", &[], "").await;
    assert_eq!(list["surveys"].as_array().unwrap().len(), 2);
    assert_eq!(
        e.call("POST", url, &[], &answer(2, "cuidado")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(e.answers("perfil").await, 2);
    // Publishing again brings it back as version 3.
    let (s, v, _) = put(Some(&admin), body).await;
    assert_eq!((s, v["version"].as_i64()), (StatusCode::CREATED, Some(3)));
}

async fn officials_export_csv_with_pseudonyms_and_text_only_when_asked(e: Env) {
    let url = "/v1/surveys/mujeres/responses";
    for body in [
        json!({"answers": {"segura": 4, "comentarios": "=HYPERLINK(\"http://x\")"}}),
        json!({"answers": {"situaciones": ["robo"], "motivo": "estudio"}}),
    ] {
        let (s, _, t) = e.call("POST", url, &[], &body.to_string()).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
    }
    let export = "/v1/surveys/mujeres/export";
    let (s, _, _) = e.call("GET", export, &[], "").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let viewer = e.token("vera", store::Role::Viewer).await;
    let h = [("authorization", viewer.as_str())];
    let (s, _, csv) = e.call("GET", export, &h, "").await;
    assert_eq!(s, StatusCode::OK);
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let head: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(head[..3], ["response", "respondent", "version"]);
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    // Two responses: one option + (text left out); and two options.
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(rows.iter().all(|row| row[9].is_empty()), "no text: {csv}");
    assert!(rows.iter().all(|row| row[1].starts_with("a-")));
    let (_, _, csv) = e.call("GET", &format!("{export}?text=true"), &h, "").await;
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let texts: Vec<String> = r
        .records()
        .map(|x| x.unwrap()[9].to_string())
        .filter(|t| !t.is_empty())
        .collect();
    // A formula is kept as text for spreadsheets.
    assert_eq!(texts, ["'=HYPERLINK(\"http://x\")"]);
    let (s, _, _) = e.call("GET", &format!("{export}?text=maybe"), &h, "").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = e.call("GET", "/v1/surveys/nope/export", &h, "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn answers_reach_the_releases_only_as_noisy_cells_and_a_rider_can_erase_them(e: Env) {
    let url = "/v1/surveys/mujeres/responses";
    for _ in 0..3 {
        let body =
            json!({"answers": {"segura": 1, "situaciones": ["contacto"]}, "gender": "mujer"});
        assert_eq!(
            e.call("POST", url, &[], &body.to_string()).await.0,
            StatusCode::CREATED
        );
    }
    // A bot rider's answer, then their erasure.
    let input = app::questionnaires::AnswerInput {
        answers: [(
            "segura".to_string(),
            observatory::questionnaire::Given::Number(5),
        )]
        .into_iter()
        .collect(),
        channel: Some(store::Channel::Bot),
        rider: Some("rider-hash".into()),
        ..Default::default()
    };
    e.state
        .app()
        .answer_questionnaire("mujeres", &input, i18n::Lang::Es)
        .await
        .unwrap();
    assert_eq!(e.answers("mujeres").await, 4);
    let erased = e.obs.store().erase_rider("rider-hash").await.unwrap();
    assert_eq!(erased.surveys, 1);
    assert_eq!(e.answers("mujeres").await, 3);
    // The month's release has the table, over every option of every survey, noisy.
    let now = super::now_unix();
    let tt = e.state.dataset().timetable.clone();
    let (day, _) = planner::clock::unix_to_local(&tt, now);
    let month = &day[..7];
    app::releases::release_periods(&e.obs, &tt, month, &[None], now)
        .await
        .unwrap();
    let stored = e
        .obs
        .store()
        .releases_of(&[month.to_string()])
        .await
        .unwrap();
    let releases = app::releases::parse(&stored).unwrap();
    let t = releases[0]
        .tables
        .iter()
        .find(|t| t.id == "survey_answers")
        .expect("survey_answers released");
    let keys = &t.values[0];
    for d in observatory::questionnaire::seeds() {
        for k in d.answer_keys() {
            assert!(keys.contains(&k), "{k} missing from the domain");
        }
    }
    let noise = &t.measures[0].noise;
    assert!(noise.sigma > 1.0, "σ {}", noise.sigma);
    // Exact tables for officials count the three answers; the release is noisy around them.
    let exact = app::releases::exact_records(&e.obs, &tt, now - 86_400, now + 86_400)
        .await
        .unwrap();
    let with_contact = exact
        .surveys
        .iter()
        .filter(|s| {
            s.answers
                .iter()
                .any(|a| a == "mujeres.situaciones.contacto")
        })
        .count();
    assert_eq!(with_contact, 3);
}

/// The profile survey speaks the one vocabulary: its gender and age options are the words a
/// report is filed with, and its answers are the response's profile in the export (so the
/// breakdowns of reports, trips and surveys line up).
async fn the_profile_survey_is_the_profile_in_one_vocabulary(e: Env) {
    let (s, v, _) = e.call("GET", "/v1/surveys/perfil", &[], "").await;
    assert_eq!(s, StatusCode::OK);
    let options = |q: &str| -> Vec<String> {
        v["questions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["code"] == q)
            .unwrap()["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["code"].as_str().unwrap().to_string())
            .collect()
    };
    let genders: Vec<String> = store::Gender::ALL
        .iter()
        .map(|g| g.as_str().into())
        .collect();
    let ages: Vec<String> = store::AgeBand::ALL
        .iter()
        .map(|a| a.as_str().into())
        .collect();
    assert_eq!(options("genero"), genders);
    assert_eq!(options("edad"), ages);
    // The report form offers the same words.
    let (s, _, page) = e.call("GET", "/reportar", &[], "").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains(&serde_json::to_string(&ages).unwrap()),
        "{page}"
    );
    assert!(page.contains(&serde_json::to_string(&genders).unwrap()));
    // A report with a first-vocabulary band is refused with the bands to use.
    let report = json!({"category": "acoso_verbal", "lat": -16.3989, "lon": -71.5369,
                        "age_band": "30_44"});
    let (s, v, _) = e
        .call("POST", "/v1/reports", &[], &report.to_string())
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["detail"].as_str().unwrap().contains("36_50"), "{v}");
    // Answered, the profile questions are the response's gender and age band.
    let body = json!({"answers": {"genero": "mujer", "edad": "36_50", "discapacidad": "no"}});
    let (s, _, t) = e
        .call(
            "POST",
            "/v1/surveys/perfil/responses",
            &[],
            &body.to_string(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let viewer = e.token("vera", store::Role::Viewer).await;
    let h = [("authorization", viewer.as_str())];
    let (_, _, csv) = e.call("GET", "/v1/surveys/perfil/export", &h, "").await;
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3, "{csv}");
    for row in &rows {
        assert_eq!((&row[5], &row[6]), ("mujer", "36_50"), "{csv}");
    }
}

both!(
    the_arequipa_bus_surveys_are_listed_in_the_riders_language,
    good_answers_are_stored_and_bad_ones_store_nothing,
    admins_publish_versions_and_retire_surveys_without_a_restart,
    officials_export_csv_with_pseudonyms_and_text_only_when_asked,
    answers_reach_the_releases_only_as_noisy_cells_and_a_rider_can_erase_them,
    the_profile_survey_is_the_profile_in_one_vocabulary,
);

#[tokio::test]
async fn a_full_disk_is_a_readable_503_that_stores_nothing_and_the_same_answer_goes_through_after()
{
    let e = env_on(Backend::Sqlite).await;
    let url = "/v1/surveys/mujeres/responses";
    let body = json!({"answers": {"segura": 3, "medidas": ["iluminacion", "camaras"]}}).to_string();
    // The surveys are seeded before the disk fills (a first read does it).
    assert_eq!(
        e.call("GET", "/v1/surveys", &[], "").await.0,
        StatusCode::OK
    );
    // The database may not grow (SQLite's own page cap): answers fill the free space of its
    // pages, then the next one is a 503 in words, and every 201 before it is stored.
    e.obs.store().limit_sqlite_pages(Some(1));
    let mut acknowledged = 0;
    let refused = loop {
        let (s, v, t) = e.call("POST", url, &[], &body).await;
        match s {
            StatusCode::CREATED => acknowledged += 1,
            StatusCode::SERVICE_UNAVAILABLE => break v,
            other => panic!("{other}: {t}"),
        }
        assert!(acknowledged < 2000, "the cap never bit");
    };
    assert!(
        refused["detail"].as_str().unwrap().contains("espacio"),
        "{refused}"
    );
    e.obs.store().limit_sqlite_pages(None);
    assert_eq!(
        e.answers("mujeres").await,
        acknowledged,
        "every 201 kept, nothing half-stored"
    );
    let (s, _, t) = e.call("POST", url, &[], &body).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let lines = e
        .obs
        .store()
        .export_responses("mujeres", 0, i64::MAX, false)
        .await
        .unwrap();
    assert_eq!(
        lines.len() as i64,
        3 * (acknowledged + 1),
        "one row per option, all of them, for every answer kept"
    );
}
