//! Categories as data: the tree is paradero's groups and the Trujillo observatory's, admins
//! add, rename, move, reorder and retire without a restart, a retired category takes no
//! reports but keeps its history, and the API document follows the live list.

use super::observatory::Backend;
use super::surveys_as_data::{Env, both, env_on};
use axum::http::StatusCode;
use serde_json::{Value, json};

fn report(category: &str) -> String {
    json!({"category": category, "lat": -16.3989, "lon": -71.5369}).to_string()
}

async fn admins_edit_the_tree_without_a_restart(e: Env) {
    let (s, tree, _) = e.call("GET", "/v1/categories", &[], "").await;
    assert_eq!(s, StatusCode::OK);
    let groups: Vec<&str> = tree["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["code"].as_str().unwrap())
        .collect();
    assert_eq!(groups[..4], ["acoso", "agresion", "robo", "servicio"]);
    assert!(groups.contains(&"inseguridad_vial") && groups.contains(&"propuestas"));
    let admin = e.token("ana", store::Role::Admin).await;
    let viewer = e.token("vera", store::Role::Viewer).await;
    let put = |token: &str, code: &str, body: Value| {
        let h = [("authorization", token.to_string())];
        let e = &e;
        let code = code.to_string();
        async move {
            let hh: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
            e.call(
                "PUT",
                &format!("/v1/categories/{code}"),
                &hh,
                &body.to_string(),
            )
            .await
        }
    };
    let new = json!({"group": "servicio", "family": "otro", "es": "Cobro sin boleto",
                     "en": "Charged without a ticket", "qu": "Mana boletoyuq cobrasqa"});
    // Who may, and what is refused.
    let (s, _, _) = e
        .call("PUT", "/v1/categories/sin_boleto", &[], &new.to_string())
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        put(&viewer, "sin_boleto", new.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    for (code, body, status, says) in [
        (
            "Sin-Boleto",
            new.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "a-z",
        ),
        (
            "sin_boleto",
            json!({"group": "nope", "es": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "nope",
        ),
        (
            "sin_boleto",
            json!({"group": "servicio", "family": "pelea", "es": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "pelea",
        ),
        (
            "sin_boleto",
            json!({"group": "servicio", "es": " "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Spanish",
        ),
        (
            "sin_boleto",
            json!({"group": "servicio"}),
            StatusCode::BAD_REQUEST,
            "es",
        ),
        (
            "sin_boleto",
            json!({"group": "servicio", "es": "x", "color": "red"}),
            StatusCode::BAD_REQUEST,
            "color",
        ),
    ] {
        let (s, v, t) = put(&admin, code, body.clone()).await;
        assert_eq!(s, status, "{body}: {t}");
        assert!(v["detail"].as_str().unwrap().contains(says), "{body}: {t}");
    }
    // Refused before it exists.
    let (s, _, _) = e
        .call("POST", "/v1/reports", &[], &report("sin_boleto"))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Added: in the tree at once, in the rider's language, last of its group; reports take it.
    assert_eq!(
        put(&admin, "sin_boleto", new.clone()).await.0,
        StatusCode::CREATED
    );
    let children = |tree: &Value, group: &str| -> Vec<(String, String)> {
        tree["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["code"] == group)
            .map(|g| {
                g["categories"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| {
                        (
                            c["code"].as_str().unwrap().to_string(),
                            c["label"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (_, tree, _) = e.call("GET", "/v1/categories?lang=qu", &[], "").await;
    let servicio = children(&tree, "servicio");
    assert_eq!(
        servicio.last().unwrap(),
        &(
            "sin_boleto".to_string(),
            "Mana boletoyuq cobrasqa".to_string()
        )
    );
    let (s, filed, t) = e
        .call("POST", "/v1/reports", &[], &report("sin_boleto"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    // The API document follows the live list.
    let (_, doc, _) = e.call("GET", "/openapi.json", &[], "").await;
    let allowed = &doc["components"]["schemas"]["ReportBody"]["properties"]["category"]["enum"];
    assert!(
        allowed
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "sin_boleto"),
        "{allowed}"
    );
    // Renamed and moved to the front of its group.
    let renamed = json!({"group": "servicio", "family": "otro", "es": "Cobro sin entregar boleto", "position": -1});
    assert_eq!(
        put(&admin, "sin_boleto", renamed).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, tree, _) = e.call("GET", "/v1/categories", &[], "").await;
    assert_eq!(
        children(&tree, "servicio")[0],
        (
            "sin_boleto".to_string(),
            "Cobro sin entregar boleto".to_string()
        )
    );
    // Moved to another group.
    let moved =
        json!({"group": "red_operacion", "family": "otro", "es": "Cobro sin entregar boleto"});
    assert_eq!(
        put(&admin, "sin_boleto", moved).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, tree, _) = e.call("GET", "/v1/categories", &[], "").await;
    assert!(
        !children(&tree, "servicio")
            .iter()
            .any(|c| c.0 == "sin_boleto")
    );
    assert!(
        children(&tree, "red_operacion")
            .iter()
            .any(|c| c.0 == "sin_boleto")
    );

    // Retired: gone from the tree and refused with its own message; its report stays, and
    // the releases still count it.
    let h = [("authorization", admin.as_str())];
    let (s, _, _) = e.call("DELETE", "/v1/categories/sin_boleto", &[], "").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, _) = e.call("DELETE", "/v1/categories/sin_boleto", &h, "").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = e.call("DELETE", "/v1/categories/sin_boleto", &h, "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = e
        .call("DELETE", "/v1/categories/sin_boleto?kind=grupo", &h, "")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, tree, _) = e.call("GET", "/v1/categories", &[], "").await;
    assert!(
        !children(&tree, "red_operacion")
            .iter()
            .any(|c| c.0 == "sin_boleto")
    );
    let (s, v, _) = e
        .call("POST", "/v1/reports", &[], &report("sin_boleto"))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        v["detail"].as_str().unwrap().contains("ya no recibe"),
        "{v}"
    );
    let secret = filed["reference"].as_str().unwrap();
    let (s, _, _) = e
        .call("GET", &format!("/v1/reports/{secret}"), &[], "")
        .await;
    assert_eq!(s, StatusCode::OK);
    let tt = e.state.dataset().timetable.clone();
    let domains = app::releases::domains(&tt, &e.obs).await.unwrap();
    assert!(domains.categories.iter().any(|c| c.key == "sin_boleto"));
    // A retired group takes its categories with it.
    let (s, _, _) = e
        .call("DELETE", "/v1/categories/propuestas?kind=group", &h, "")
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, tree, _) = e.call("GET", "/v1/categories", &[], "").await;
    assert!(children(&tree, "propuestas").is_empty());
    let (s, _, _) = e
        .call("POST", "/v1/reports", &[], &report("pide_paradero"))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Brought back by saving it again.
    let back =
        json!({"group": "red_operacion", "family": "otro", "es": "Cobro sin entregar boleto"});
    assert_eq!(
        put(&admin, "sin_boleto", back).await.0,
        StatusCode::NO_CONTENT
    );
    let (s, _, _) = e
        .call("POST", "/v1/reports", &[], &report("sin_boleto"))
        .await;
    assert_eq!(s, StatusCode::CREATED);
}

async fn another_process_on_the_same_database_sees_the_change(e: Env) {
    // A second process (its own Obs) shares the database: it starts from the seed and reads
    // the officials' change when it refreshes (every few seconds in a running server).
    let other = app::Obs::start(e.obs.store().clone(), app::ObservatorySettings::default());
    other.refresh_categories().await.unwrap();
    assert!(!other.catalogue().fileable("tarifa_nocturna"));
    let admin = e.token("ana", store::Role::Admin).await;
    let (s, _, t) = e
        .call(
            "PUT",
            "/v1/categories/tarifa_nocturna",
            &[("authorization", admin.as_str())],
            &json!({"group": "servicio", "family": "otro", "es": "Tarifa nocturna abusiva"})
                .to_string(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert!(
        e.obs.catalogue().fileable("tarifa_nocturna"),
        "at once here"
    );
    other.refresh_categories().await.unwrap();
    assert!(
        other.catalogue().fileable("tarifa_nocturna"),
        "after a refresh there"
    );
    // Seeding again never undoes the officials' work.
    let third = app::Obs::start(e.obs.store().clone(), app::ObservatorySettings::default());
    third.refresh_categories().await.unwrap();
    assert!(third.catalogue().fileable("tarifa_nocturna"));
}

both!(
    admins_edit_the_tree_without_a_restart,
    another_process_on_the_same_database_sees_the_change,
);
