//! The document and the code cannot drift: real answers of a running app, for every operation
//! of the OpenAPI document and the statuses a client meets, are validated against the schemas
//! the document gives for that operation and status (JSON Schema 2020-12, `jsonschema` crate).
//! An answer with a status the document does not list fails too.

use super::{FROM, TO, with_obs};
use axum::body::Body;
use axum::http::{Method, Request};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use server::Settings;
use std::collections::BTreeSet;
use tower::ServiceExt;

const ADMIN: &str = "contract-admin";

/// The document's path template matching `path` (`/v1/stops/{id}/departures`).
fn template<'a>(doc: &'a Value, path: &str) -> Option<&'a str> {
    let segs: Vec<&str> = path.split('/').collect();
    doc["paths"]
        .as_object()?
        .keys()
        .map(String::as_str)
        .find(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            ts.len() == segs.len()
                && ts
                    .iter()
                    .zip(&segs)
                    .all(|(a, b)| a == b || (a.starts_with('{') && a.ends_with('}')))
        })
}

/// Validates `body` against what the document says `method path` answers with `status`.
/// Returns the JSON pointer of the schema used, or why it does not conform.
fn check(
    doc: &Value,
    method: &Method,
    path: &str,
    status: u16,
    ctype: &str,
    body: &[u8],
) -> Result<String, String> {
    let t = template(doc, path).ok_or_else(|| format!("{path} is not in the document"))?;
    let m = method.as_str().to_ascii_lowercase();
    let op = &doc["paths"][t][&m];
    if op.is_null() {
        return Err(format!("{m} {t} is not in the document"));
    }
    let resp = &op["responses"][status.to_string()];
    if resp.is_null() {
        return Err(format!(
            "{m} {t} answered {status}, which the document does not list"
        ));
    }
    let essence = ctype.split(';').next().unwrap_or("").trim();
    let Some(content) = resp["content"].as_object() else {
        return if body.is_empty() {
            Ok(String::new())
        } else {
            Err(format!(
                "{m} {t} {status}: a body where the document promises none"
            ))
        };
    };
    if !content.contains_key(essence) {
        return Err(format!(
            "{m} {t} {status}: answered {essence}, the document lists {:?}",
            content.keys().collect::<Vec<_>>()
        ));
    }
    if !essence.ends_with("json") {
        return Ok(String::new());
    }
    let pointer = format!(
        "#/paths/{}/{m}/responses/{status}/content/{}/schema",
        t.replace('~', "~0")
            .replace('/', "~1")
            .replace('{', "%7B")
            .replace('}', "%7D"),
        essence.replace('/', "~1")
    );
    // The whole document as the root, so that `#/components/schemas/…` resolve.
    let mut schema = doc.clone();
    schema["$ref"] = json!(pointer);
    let validator = jsonschema::draft202012::new(&schema).map_err(|e| format!("{pointer}: {e}"))?;
    let instance: Value =
        serde_json::from_slice(body).map_err(|e| format!("{m} {t} {status}: not JSON: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(pointer)
    } else {
        Err(format!(
            "{m} {t} {status} does not match {pointer}: {errors:?}"
        ))
    }
}

#[test]
fn the_validator_catches_a_wrong_answer() {
    // The check must be able to fail: a health answer with a wrong type, a route list with a
    // missing field, and a status the document does not list.
    let doc = server::openapi_document_json();
    let bad = check(
        &doc,
        &Method::GET,
        "/healthz",
        200,
        "application/json",
        br#"{"status": 1, "stops": 3}"#,
    );
    assert!(bad.is_err(), "{bad:?}");
    let missing = check(
        &doc,
        &Method::GET,
        "/v1/routes",
        200,
        "application/json",
        br#"{"routes": [{"id": "x"}]}"#,
    );
    assert!(missing.is_err(), "{missing:?}");
    let undocumented = check(
        &doc,
        &Method::GET,
        "/healthz",
        418,
        "application/json",
        b"{}",
    );
    assert!(undocumented.is_err(), "{undocumented:?}");
    let good = check(
        &doc,
        &Method::GET,
        "/healthz",
        200,
        "application/json",
        br#"{"status": "ok", "stops": 3}"#,
    );
    assert!(good.is_ok(), "{good:?}");
}

#[tokio::test]
async fn every_answer_matches_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let store = store::Store::open_at(&store::Location::Sqlite(dir.path().join("c.db")))
        .await
        .unwrap();
    let editor = store
        .create_official("eddy", store::Role::Editor, 0)
        .await
        .unwrap();
    let admin = store
        .create_official("ada", store::Role::Admin, 0)
        .await
        .unwrap();
    let operator = store
        .create_operator("transcayma", &["arequipa:0".to_string()], 0)
        .await
        .unwrap();
    let obs = app::Obs::start(store, app::ObservatorySettings::default());
    let state = with_obs(
        obs.clone(),
        Settings {
            admin_token: Some(ADMIN.into()),
            ..Settings::default()
        },
    );
    let doc: Value = {
        let res = server::app(state.clone())
            .oneshot(Request::get("/openapi.json").body(Body::empty()).unwrap())
            .await
            .unwrap();
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap()
    };
    let mut checked = BTreeSet::new();
    // The app answering: Arequipa's, or São Paulo's (with streets) for the map's operations.
    let target = std::cell::RefCell::new(state.clone());
    let mut failures = Vec::new();
    let mut call = async |method: Method,
                          uri: &str,
                          body: Option<(&str, Vec<u8>)>,
                          token: Option<&str>|
           -> Value {
        let mut b = Request::builder().method(method.clone()).uri(uri);
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some((ctype, text)) => b.header("content-type", ctype).body(Body::from(text)),
            None => b.body(Body::empty()),
        }
        .unwrap();
        let st = target.borrow().clone();
        let res = server::app(st).oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let ctype = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let path = uri.split('?').next().unwrap();
        match check(&doc, &method, path, status, &ctype, &bytes) {
            Ok(_) => {
                checked.insert(format!(
                    "{method} {} {status}",
                    template(&doc, path).unwrap_or(path)
                ));
            }
            Err(e) => failures.push(e),
        }
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    let json_body = |v: Value| Some(("application/json", v.to_string().into_bytes()));
    let get = Method::GET;
    let post = Method::POST;
    // The planner and the network.
    call(get.clone(), "/healthz", None, None).await;
    call(get.clone(), "/v1/feeds", None, None).await;
    call(get.clone(), "/v1/cities", None, None).await;
    call(get.clone(), "/v1/network?city=lima", None, None).await;
    call(get.clone(), "/v1/routes?city=lima", None, None).await;
    call(get.clone(), "/v1/stops?q=av&city=lima", None, None).await;
    call(get.clone(), "/v1/places?q=plaza&city=lima", None, None).await;
    call(get.clone(), "/v1/offline?city=lima", None, None).await;
    call(
        get.clone(),
        &format!("/v1/plan?from={FROM}&to={TO}&at=2026-11-23T08:00"),
        None,
        None,
    )
    .await;
    call(
        get.clone(),
        &format!("/v1/plan?from={FROM}&to={TO}&at=2026-11-23T08:00&window=30m"),
        None,
        None,
    )
    .await;
    call(
        get.clone(),
        "/v1/plan?from=nowhere&to=-16.4,-71.5",
        None,
        None,
    )
    .await;
    call(
        get.clone(),
        "/v1/plan?from=arequipa:nope&to=-16.4,-71.5",
        None,
        None,
    )
    .await;
    call(
        get.clone(),
        &format!("/v1/plan?from={FROM}&to={FROM}"),
        None,
        None,
    )
    .await;
    call(get.clone(), "/v1/stops?q=villa", None, None).await;
    call(get.clone(), "/v1/stops?q=v", None, None).await;
    call(
        get.clone(),
        "/v1/stops/near?lat=-16.3989&lon=-71.5369&radius=300",
        None,
        None,
    )
    .await;
    let near = call(
        get.clone(),
        "/v1/stops/near?lat=-16.3989&lon=-71.5369&radius=500",
        None,
        None,
    )
    .await;
    let stop = near["stops"][0]["id"].as_str().unwrap().to_string();
    call(
        get.clone(),
        &format!("/v1/stops/{stop}/departures?at=2026-11-23T08:00"),
        None,
        None,
    )
    .await;
    call(get.clone(), "/v1/stops/nope/departures", None, None).await;
    let routes = call(get.clone(), "/v1/routes", None, None).await;
    let route = routes["routes"][0]["id"].as_str().unwrap().to_string();
    // Live vehicles: none, then one bus of that route seen at the Plaza de Armas.
    call(get.clone(), "/v1/vehicles", None, None).await;
    let bus = realtime::proto::FeedEntity {
        id: "1".into(),
        vehicle: Some(realtime::proto::VehiclePosition {
            trip: Some(realtime::proto::TripDescriptor {
                route_id: Some(route.trim_start_matches("arequipa:").to_string()),
                ..Default::default()
            }),
            vehicle: Some(realtime::proto::VehicleDescriptor {
                id: Some("AQP-123".into()),
                ..Default::default()
            }),
            position: Some(realtime::proto::Position {
                latitude: -16.3989,
                longitude: -71.5369,
                bearing: Some(90.0),
                ..Default::default()
            }),
            timestamp: Some(app::now_unix() as u64),
            ..Default::default()
        }),
        ..Default::default()
    };
    let msg = realtime::FeedMessage {
        header: realtime::proto::FeedHeader {
            gtfs_realtime_version: "2.0".into(),
            ..Default::default()
        },
        entity: vec![bus],
    };
    let seen = state
        .app()
        .take_vehicle_positions(
            "arequipa",
            &prost::Message::encode_to_vec(&msg),
            app::now_unix(),
            (300, 600),
        )
        .unwrap();
    assert_eq!(seen.vehicles, 1);
    let live = call(
        get.clone(),
        &format!("/v1/vehicles?route={route}"),
        None,
        None,
    )
    .await;
    assert_eq!(live["features"].as_array().unwrap().len(), 1, "{live}");
    assert!(live["realtime"]["generation"].as_u64() >= Some(1), "{live}");
    call(get.clone(), "/v1/vehicles?bbox=1,2", None, None).await;
    // An operator's GPS: taken, refused for another company's route, too many, unsigned, or
    // sent as neither JSON nor protobuf.
    let ping = |route: &str| {
        json!({"vehicle": "AQP-9", "route": route, "lat": -16.3989, "lon": -71.5369,
               "timestamp": app::now_unix()})
    };
    let positions = "/v1/realtime/positions";
    let batch = |ps: Vec<Value>| json_body(json!({ "positions": ps }));
    call(
        post.clone(),
        positions,
        batch(vec![ping("Enace")]),
        Some(&operator),
    )
    .await;
    call(
        post.clone(),
        positions,
        batch(vec![ping("B")]),
        Some(&operator),
    )
    .await;
    call(
        post.clone(),
        positions,
        batch(vec![ping("Enace"); 1001]),
        Some(&operator),
    )
    .await;
    call(post.clone(), positions, batch(vec![ping("Enace")]), None).await;
    call(
        post.clone(),
        positions,
        batch(vec![ping("Enace")]),
        Some(&editor),
    )
    .await;
    call(
        post.clone(),
        positions,
        Some(("text/csv", b"AQP-9,Enace".to_vec())),
        Some(&operator),
    )
    .await;
    call(
        post.clone(),
        positions,
        Some((
            "application/x-protobuf",
            prost::Message::encode_to_vec(&msg),
        )),
        Some(&operator),
    )
    .await;
    call(
        post.clone(),
        positions,
        Some(("application/json", b"{\"positions\": 3}".to_vec())),
        Some(&operator),
    )
    .await;
    call(get.clone(), "/v1/vehicles?route=nope", None, None).await;
    call(get.clone(), &format!("/v1/routes/{route}"), None, None).await;
    call(get.clone(), "/v1/routes/nope", None, None).await;
    call(get.clone(), "/v1/network", None, None).await;
    call(get.clone(), "/metrics", None, None).await;
    call(post.clone(), "/v1/admin/reload", None, None).await;
    // Reports: file, retry, follow, list, move along, erase.
    let report = json!({ "category": "acoso_verbal", "stop_id": stop, "description": "contract" });
    let filed = call(post.clone(), "/v1/reports", json_body(report.clone()), None).await;
    call(
        post.clone(),
        "/v1/reports",
        json_body(json!({ "category": "nope", "stop_id": stop })),
        None,
    )
    .await;
    call(
        post.clone(),
        "/v1/reports",
        json_body(json!({ "category": "acoso_verbal", "lat": 0.0, "lon": 0.0 })),
        None,
    )
    .await;
    call(
        post.clone(),
        "/v1/reports",
        Some(("text/plain", "x".into())),
        None,
    )
    .await;
    let secret = filed["reference"].as_str().unwrap().to_string();
    call(get.clone(), &format!("/v1/reports/{secret}"), None, None).await;
    call(get.clone(), "/v1/reports/R-unknownunknownunkno", None, None).await;
    let list = call(get.clone(), "/v1/reports", None, Some(&editor)).await;
    call(get.clone(), "/v1/reports", None, None).await;
    let case = list["reports"][0]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    call(
        get.clone(),
        &format!("/v1/reports/{case}"),
        None,
        Some(&editor),
    )
    .await;
    let status = json!({ "status": "acknowledged", "note": "visto" });
    call(
        post.clone(),
        &format!("/v1/reports/{case}/status"),
        json_body(status.clone()),
        Some(&editor),
    )
    .await;
    call(
        post.clone(),
        &format!("/v1/reports/{case}/status"),
        json_body(json!({ "status": "open" })),
        Some(&editor),
    )
    .await;
    call(
        post.clone(),
        &format!("/v1/reports/{case}/status"),
        json_body(status),
        None,
    )
    .await;
    // Photos: added with the secret, read by officials.
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
        .encode_image(&image::RgbImage::new(16, 12))
        .unwrap();
    let photos = format!("/v1/reports/{secret}/photos");
    let added = call(
        post.clone(),
        &photos,
        Some(("image/jpeg", jpeg.clone())),
        None,
    )
    .await;
    call(
        post.clone(),
        &photos,
        Some(("text/plain", "x".into())),
        None,
    )
    .await;
    call(
        post.clone(),
        &photos,
        Some(("image/jpeg", Vec::new())),
        None,
    )
    .await;
    call(
        post.clone(),
        &photos,
        Some(("image/jpeg", jpeg[..jpeg.len() / 2].to_vec())),
        None,
    )
    .await;
    call(
        post.clone(),
        "/v1/reports/R-unknownunknownunkno/photos",
        Some(("image/jpeg", jpeg)),
        None,
    )
    .await;
    let photo_id = added["id"].as_str().unwrap().to_string();
    let listed = format!("/v1/reports/{case}/photos");
    call(get.clone(), &listed, None, Some(&editor)).await;
    call(get.clone(), &listed, None, None).await;
    let one = format!("/v1/reports/{case}/photos/{photo_id}");
    call(get.clone(), &one, None, Some(&editor)).await;
    call(get.clone(), &one, None, None).await;
    call(
        get.clone(),
        &format!("/v1/reports/{case}/photos/nope"),
        None,
        Some(&editor),
    )
    .await;
    // Surveys as data.
    let listed = call(get.clone(), "/v1/surveys?lang=qu", None, None).await;
    assert_eq!(listed["surveys"].as_array().map(Vec::len), Some(3));
    call(get.clone(), "/v1/surveys/mujeres", None, None).await;
    call(get.clone(), "/v1/surveys/nope", None, None).await;
    call(get.clone(), "/v1/surveys/mujeres?version=0", None, None).await;
    let answers = "/v1/surveys/mujeres/responses";
    call(
        post.clone(),
        answers,
        json_body(json!({"answers": {"segura": 2, "situaciones": ["robo"], "comentarios": "x"}})),
        None,
    )
    .await;
    call(
        post.clone(),
        answers,
        json_body(json!({"answers": {"segura": [1, 2]}})),
        None,
    )
    .await;
    call(
        post.clone(),
        answers,
        Some(("text/plain", b"segura=2".to_vec())),
        None,
    )
    .await;
    call(
        post.clone(),
        "/v1/surveys/nope/responses",
        json_body(json!({"answers": {"a": "b"}})),
        None,
    )
    .await;
    let definition = serde_json::to_vec(&observatory::questionnaire::seeds()[0]).unwrap();
    let perfil = "/v1/surveys/perfil";
    call(
        Method::PUT,
        perfil,
        Some(("application/json", definition.clone())),
        None,
    )
    .await;
    call(
        Method::PUT,
        perfil,
        Some(("application/json", definition.clone())),
        Some(&editor),
    )
    .await;
    call(
        Method::PUT,
        perfil,
        Some(("application/json", b"{\"code\": \"perfil\"}".to_vec())),
        Some(&admin),
    )
    .await;
    let mut broken = observatory::questionnaire::seeds().remove(0);
    broken.questions[0].options.clear();
    call(
        Method::PUT,
        perfil,
        json_body(serde_json::to_value(&broken).unwrap()),
        Some(&admin),
    )
    .await;
    call(
        Method::PUT,
        perfil,
        Some(("text/plain", definition.clone())),
        Some(&admin),
    )
    .await;
    let published = call(
        Method::PUT,
        perfil,
        Some(("application/json", definition)),
        Some(&admin),
    )
    .await;
    assert_eq!(published["version"], 2);
    let export = "/v1/surveys/mujeres/export";
    call(get.clone(), export, None, None).await;
    call(
        get.clone(),
        &format!("{export}?text=true"),
        None,
        Some(&editor),
    )
    .await;
    call(
        get.clone(),
        &format!("{export}?from=x"),
        None,
        Some(&editor),
    )
    .await;
    call(get.clone(), "/v1/surveys/nope/export", None, Some(&editor)).await;
    call(Method::DELETE, perfil, None, None).await;
    call(Method::DELETE, perfil, None, Some(&editor)).await;
    call(Method::DELETE, perfil, None, Some(&admin)).await;
    call(Method::DELETE, perfil, None, Some(&admin)).await;
    // Ratings of a ride, under both names.
    for path in ["/v1/ratings", "/v1/surveys"] {
        call(
            post.clone(),
            path,
            json_body(json!({ "route_id": route, "safety": 2, "satisfaction": 4 })),
            None,
        )
        .await;
    }
    for bad in [
        json!({ "safety": 9 }),
        json!({ "route_id": "nope", "safety": 3 }),
    ] {
        call(post.clone(), "/v1/ratings", json_body(bad), None).await;
    }
    call(
        post.clone(),
        "/v1/surveys",
        json_body(json!({ "safety": 9 })),
        None,
    )
    .await;
    call(
        post.clone(),
        "/v1/surveys",
        json_body(json!({ "route_id": "nope", "safety": 3 })),
        None,
    )
    .await;
    // The observatory's figures: none released yet, then this month's release.
    call(get.clone(), "/v1/observatory/indicators", None, None).await;
    obs.flush().await;
    let tt = state.dataset().timetable.clone();
    let month = planner::clock::now(&tt)
        .0
        .date()
        .format("%Y-%m")
        .to_string();
    app::releases::release_periods(&obs, &tt, &month, &[None], app::now_unix())
        .await
        .unwrap();
    let released = call(
        get.clone(),
        &format!("/v1/observatory/indicators?month={month}"),
        None,
        None,
    )
    .await;
    assert!(
        released["indicators"]
            .as_array()
            .is_some_and(|t| t.len() > 3),
        "{released}"
    );
    call(
        get.clone(),
        &format!("/v1/observatory/indicators?month={month}&format=csv"),
        None,
        None,
    )
    .await;
    call(
        get.clone(),
        "/v1/observatory/indicators?indicator=incidents",
        None,
        None,
    )
    .await;
    call(get.clone(), "/v1/observatory/internal", None, Some(&editor)).await;
    call(get.clone(), "/v1/observatory/internal", None, None).await;
    // Open311.
    call(get.clone(), "/open311/v2/services.json", None, None).await;
    // The category tree: every configured category once, under a group, labelled.
    let tree = call(get.clone(), "/v1/categories?lang=qu", None, None).await;
    let codes: Vec<&str> = tree["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["categories"].as_array().unwrap())
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    // paradero's categories and the Trujillo observatory's, each once.
    let seed = app::categories::seed(&observatory::default_categories());
    assert_eq!(codes.len(), seed.leaves(true).len(), "{tree}");
    for c in observatory::DEFAULT_CATEGORIES {
        assert!(codes.contains(&c.0), "{} missing", c.0);
    }
    assert_eq!(tree["groups"][0]["code"], "acoso");
    assert_eq!(
        tree["groups"][0]["categories"][0]["label"],
        i18n::t(i18n::Lang::Qu, "category.acoso_verbal", &[])
    );
    call(get.clone(), "/v1/categories?lang=fr", None, None).await;
    // Officials edit the tree.
    let category = json!({"group": "servicio", "family": "otro", "es": "Cobro sin boleto"});
    let put_category = |token: Option<&str>, body: Value| {
        (
            Method::PUT,
            "/v1/categories/sin_boleto",
            json_body(body),
            token.map(str::to_string),
        )
    };
    for (m, u, b, t) in [
        put_category(None, category.clone()),
        put_category(Some(&editor), category.clone()),
        put_category(Some(&admin), json!({"group": "servicio"})),
        put_category(Some(&admin), json!({"group": "nope", "es": "x"})),
        put_category(Some(&admin), category.clone()),
        put_category(Some(&admin), category.clone()),
    ] {
        call(m, u, b, t.as_deref()).await;
    }
    call(
        Method::PUT,
        "/v1/categories/sin_boleto",
        Some(("text/plain", b"x".to_vec())),
        Some(&admin),
    )
    .await;
    let retire = "/v1/categories/sin_boleto";
    call(Method::DELETE, retire, None, None).await;
    call(Method::DELETE, retire, None, Some(&editor)).await;
    call(
        Method::DELETE,
        &format!("{retire}?kind=x"),
        None,
        Some(&admin),
    )
    .await;
    call(Method::DELETE, retire, None, Some(&admin)).await;
    call(Method::DELETE, retire, None, Some(&admin)).await;
    // Service alerts: written, refused, listed, changed, ended; then GTFS-Realtime out.
    let alert = |route: &str, es: &str| {
        Some((
            "application/json",
            format!(
                r#"{{"cause":"STRIKE","effect":"NO_SERVICE","informed":[{{"route":"{route}"}}],"header":{{"es":"{es}","en":"Strike"}},"active":[{{"start":"2026-12-01T00:00"}}]}}"#
            )
            .into_bytes(),
        ))
    };
    let made = call(
        post.clone(),
        "/v1/alerts",
        alert(&route, "Paro"),
        Some(&editor),
    )
    .await;
    let alert_id = made["id"].as_str().unwrap().to_string();
    call(
        post.clone(),
        "/v1/alerts",
        alert("arequipa:nope", "Paro"),
        Some(&editor),
    )
    .await;
    call(
        post.clone(),
        "/v1/alerts",
        Some(("application/json", b"{}".to_vec())),
        Some(&editor),
    )
    .await;
    call(
        post.clone(),
        "/v1/alerts",
        Some(("text/plain", b"x".to_vec())),
        Some(&editor),
    )
    .await;
    call(post.clone(), "/v1/alerts", alert(&route, "Paro"), None).await;
    call(
        post.clone(),
        "/v1/alerts",
        alert(&route, "Paro"),
        Some(&operator),
    )
    .await;
    call(get.clone(), "/v1/alerts", None, None).await;
    let one = format!("/v1/alerts/{alert_id}");
    call(
        Method::PUT,
        &one,
        alert(&route, "Paro hasta el lunes"),
        Some(&editor),
    )
    .await;
    call(
        Method::PUT,
        "/v1/alerts/AL-NOPE",
        alert(&route, "Paro"),
        Some(&editor),
    )
    .await;
    call(Method::PUT, &one, alert(&route, ""), Some(&editor)).await;
    call(
        Method::PUT,
        &one,
        Some(("application/json", b"[]".to_vec())),
        Some(&editor),
    )
    .await;
    call(
        Method::PUT,
        &one,
        Some(("text/plain", b"x".to_vec())),
        Some(&editor),
    )
    .await;
    call(Method::PUT, &one, alert(&route, "Paro"), None).await;
    call(Method::PUT, &one, alert(&route, "Paro"), Some(&operator)).await;
    for kind in ["trip-updates", "vehicle-positions", "alerts"] {
        call(get.clone(), &format!("/gtfs-rt/{kind}"), None, None).await;
        call(
            get.clone(),
            &format!("/gtfs-rt/{kind}?format=json&feed=arequipa"),
            None,
            None,
        )
        .await;
    }
    call(get.clone(), "/gtfs-rt/alerts?format=xml", None, None).await;
    call(get.clone(), "/v1/offline", None, None).await;
    call(get.clone(), "/v1/offline/arequipa", None, None).await;
    call(get.clone(), "/v1/offline/lima", None, None).await;
    // Service delivered: officials' exact figures (JSON, CSV), the public's week.
    for q in [
        "",
        "?by=day&format=csv",
        "?from=2026-12-01&to=2026-12-07&route=ROUTE",
    ] {
        let q = q.replace("ROUTE", &route);
        call(
            get.clone(),
            &format!("/v1/observatory/service{q}"),
            None,
            Some(&editor),
        )
        .await;
    }
    call(
        get.clone(),
        "/v1/observatory/service?by=week",
        None,
        Some(&editor),
    )
    .await;
    call(
        get.clone(),
        "/v1/observatory/service?from=2026-12-09&to=2026-12-01",
        None,
        Some(&editor),
    )
    .await;
    call(
        get.clone(),
        "/v1/observatory/service?route=nope",
        None,
        Some(&editor),
    )
    .await;
    call(get.clone(), "/v1/observatory/service", None, None).await;
    call(
        get.clone(),
        "/v1/observatory/service",
        None,
        Some(&operator),
    )
    .await;
    call(get.clone(), "/v1/service", None, None).await;
    call(
        get.clone(),
        "/v1/service?week=2026-W49&format=csv",
        None,
        None,
    )
    .await;
    call(get.clone(), "/v1/service?week=2026-49", None, None).await;
    call(get.clone(), "/v1/service?week=2026-W54", None, None).await;
    call(get.clone(), "/v1/service?week=", None, None).await;
    call(get.clone(), "/v1/service?route=nope", None, None).await;

    call(get.clone(), "/gtfs-rt/nothing", None, None).await;
    call(Method::DELETE, &one, None, Some(&operator)).await;
    call(Method::DELETE, &one, None, None).await;
    call(Method::DELETE, &one, None, Some(&editor)).await;
    call(Method::DELETE, &one, None, Some(&editor)).await;
    let form = format!("service_code=acoso_verbal&attribute%5Bstop_id%5D={stop}&email=a%40b.c");
    let o311 = call(
        post.clone(),
        "/open311/v2/requests.json",
        Some(("application/x-www-form-urlencoded", form.into_bytes())),
        None,
    )
    .await;
    call(
        post.clone(),
        "/open311/v2/requests.json",
        Some((
            "application/x-www-form-urlencoded",
            "service_code=nope".into(),
        )),
        None,
    )
    .await;
    let id = o311[0]["service_request_id"].as_str().unwrap().to_string();
    call(
        get.clone(),
        &format!("/open311/v2/requests.json?service_request_id={id}"),
        None,
        None,
    )
    .await;
    call(get.clone(), "/open311/v2/requests.json", None, None).await;
    call(
        get.clone(),
        "/open311/v2/requests.json",
        None,
        Some(&editor),
    )
    .await;
    call(
        get.clone(),
        &format!("/open311/v2/requests/{id}.json"),
        None,
        None,
    )
    .await;
    call(
        get.clone(),
        "/open311/v2/requests/R-unknownunknownunkno.json",
        None,
        None,
    )
    .await;
    // The same in XML, discovery and the categories' definitions.
    for uri in [
        "/open311/v2/discovery.json".to_string(),
        "/open311/v2/discovery.xml".into(),
        "/open311/v2/services.xml".into(),
        "/open311/v2/services/robo.json".into(),
        "/open311/v2/services/robo.xml".into(),
        "/open311/v2/services/nope.json".into(),
        "/open311/v2/services/nope.xml".into(),
        format!("/open311/v2/requests/{id}.xml"),
        format!("/open311/v2/requests.xml?service_request_id={id}"),
        "/open311/v2/requests.xml".into(),
        "/open311/v2/requests/R-unknownunknownunkno.xml".into(),
    ] {
        call(get.clone(), &uri, None, None).await;
    }
    call(
        post.clone(),
        "/open311/v2/requests.xml",
        Some((
            "application/x-www-form-urlencoded",
            format!("service_code=robo&attribute%5Bstop_id%5D={stop}").into_bytes(),
        )),
        None,
    )
    .await;
    call(
        post.clone(),
        "/open311/v2/requests.xml",
        Some((
            "application/x-www-form-urlencoded",
            "service_code=nope".into(),
        )),
        None,
    )
    .await;
    // Places and the street map: on São Paulo, which has streets, and on Arequipa, which has
    // none here.
    *target.borrow_mut() = super::sao_paulo();
    for uri in [
        "/v1/places?q=conjunto%20nacional",
        "/v1/places?q=paulista%20y%20consolacao&limit=3",
        "/v1/places?limit=3",
        "/v1/places/reverse?lat=-23.5592975&lon=-46.6596716",
        "/v1/places/reverse?lat=-23.3&lon=-46.3",
        "/v1/places/reverse?lat=x",
        "/v1/map",
        "/v1/tiles/15/12137/18591.json",
        "/v1/tiles/15/99999/1.json",
        "/v1/tiles/x/1/1.json",
        "/v1/plan?from=-23.5614,-46.6558&to=-23.5503,-46.6340&at=2019-11-20T08:00",
    ] {
        call(get.clone(), uri, None, None).await;
    }
    *target.borrow_mut() = state.clone();
    call(get.clone(), "/v1/tiles/15/12137/18591.json", None, None).await;
    call(get.clone(), "/v1/map", None, None).await;
    // Erasure last.
    call(Method::DELETE, &format!("/v1/reports/{secret}"), None, None).await;
    call(Method::DELETE, &format!("/v1/reports/{secret}"), None, None).await;
    obs.flush().await;

    assert!(
        failures.is_empty(),
        "answers that do not match the document:\n{}",
        failures.join("\n")
    );
    // The operators' positions answered each way they can.
    for status in [200, 400, 401, 403, 413, 415] {
        let want = format!("POST /v1/realtime/positions {status}");
        assert!(
            checked.contains(&want),
            "{want} never answered: {checked:?}"
        );
    }
    // Every operation of the document was exercised at least once.
    let ops: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{} {p}", m.to_uppercase()))
        })
        .collect();
    let seen: BTreeSet<String> = checked
        .iter()
        .map(|c| c.rsplit_once(' ').unwrap().0.to_string())
        .collect();
    let missed: Vec<&String> = ops.difference(&seen).collect();
    assert!(
        missed.is_empty(),
        "operations never answered: {missed:?}; checked {checked:?}"
    );
}
