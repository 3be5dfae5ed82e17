//! Officials: a bearer token and the role an action needs.

use crate::fresh;
use app::{Error, Role};

#[tokio::test]
async fn a_token_opens_what_its_role_allows_and_nothing_more() {
    let f = fresh().await;
    let a = &f.app;
    let store = f.obs.store();
    let viewer = store.create_official("ana", Role::Viewer, 0).await.unwrap();
    let admin = store.create_official("rosa", Role::Admin, 0).await.unwrap();
    let lang = i18n::Lang::Es;
    // (token, role needed) → Ok(name) or the error's kind.
    let cases: [(Option<&str>, Role, Result<&str, &str>); 7] = [
        (Some(&viewer), Role::Viewer, Ok("ana")),
        (Some(&viewer), Role::Editor, Err("forbidden")),
        (Some(&admin), Role::Editor, Ok("rosa")),
        (Some(&admin), Role::Admin, Ok("rosa")),
        (Some("not-a-token"), Role::Viewer, Err("unauthorized")),
        (Some("   "), Role::Viewer, Err("unauthorized")),
        (None, Role::Viewer, Err("unauthorized")),
    ];
    for (token, needed, expected) in cases {
        let got = a.authenticate(token, needed, lang).await;
        let got = match &got {
            Ok(who) => Ok(who.name.as_str()),
            Err(Error::Forbidden(_)) => Err("forbidden"),
            Err(Error::Unauthorized(_)) => Err("unauthorized"),
            Err(other) => panic!("{token:?} {needed:?}: {other:?}"),
        };
        assert_eq!(got, expected, "{token:?} needing {needed:?}");
    }
    // A revoked token opens nothing.
    store.revoke_official("ana", 1).await.unwrap();
    let e = a.authenticate(Some(&viewer), Role::Viewer, lang).await;
    assert!(matches!(e, Err(Error::Unauthorized(_))), "{e:?}");
}
