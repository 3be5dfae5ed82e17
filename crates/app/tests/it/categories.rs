//! Categories as data: admins add, rename and retire them; report forms follow at once.

use crate::{at_the_plaza, fresh};
use app::categories::CategoryEdit;
use app::{Channel, Error, Role};
use i18n::Lang;

fn named(group: Option<&str>, es: &str) -> CategoryEdit {
    CategoryEdit {
        group: group.map(str::to_string),
        family: Some("acoso".into()),
        es: es.into(),
        en: None,
        qu: None,
        position: None,
    }
}

/// The error's kind, or "ok".
fn kind<T>(r: &Result<T, Error>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(Error::Invalid(_)) => "invalid",
        Err(Error::Unprocessable(_)) => "unprocessable",
        Err(Error::NotFound(_)) => "not found",
        Err(Error::Forbidden(_)) => "forbidden",
        Err(e) => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn admins_add_and_retire_categories_and_the_forms_follow_at_once() {
    let f = fresh().await;
    let (o, a) = (&f.obs, &f.app);
    let lang = Lang::Es;
    let group = o
        .catalogue()
        .category("acoso_verbal")
        .and_then(|n| n.parent.clone())
        .expect("the bundled harassment categories have a group");
    let mut who = Vec::new();
    for (name, role) in [
        ("ana", Role::Viewer),
        ("edu", Role::Editor),
        ("rosa", Role::Admin),
    ] {
        who.push(f.official(name, role).await);
    }
    let [viewer, editor, admin] = [&who[0], &who[1], &who[2]];
    let new = "acoso_en_paradero";
    let filing = at_the_plaza(new, None, Channel::Api);
    // (step, expected): each step in order, as an admin's session would go.
    assert_eq!(
        kind(&a.check_report(&filing, lang)),
        "invalid",
        "unknown yet"
    );
    let edit = named(Some(&group), "Acoso en el paradero");
    for (who, expected) in [(viewer, "forbidden"), (editor, "forbidden")] {
        let got = a.put_category(who, new, &edit, lang).await;
        assert_eq!(kind(&got), expected, "{:?}", who.role);
    }
    assert_eq!(a.put_category(admin, new, &edit, lang).await, Ok(true));
    assert_eq!(
        kind(&a.check_report(&filing, lang)),
        "ok",
        "fileable at once"
    );
    // Renamed: not new; the Quechua name given is kept, the English one left as it was.
    let mut renamed = named(Some(&group), "Acoso en paraderos");
    renamed.qu = Some("Paraderopi mana allin".into());
    assert_eq!(a.put_category(admin, new, &renamed, lang).await, Ok(false));
    let node = o.catalogue().category(new).cloned().unwrap();
    assert_eq!(
        (node.labels.es.as_str(), node.labels.qu.as_str()),
        ("Acoso en paraderos", "Paraderopi mana allin")
    );
    // A report filed before the category is retired stays; new ones are refused by name.
    let filed = a.file_report(&filing, None, lang).await.unwrap();
    assert_eq!(
        kind(&a.retire_category(editor, new, false, lang).await),
        "forbidden"
    );
    a.retire_category(admin, new, false, lang).await.unwrap();
    let refused = a.check_report(&filing, lang);
    assert_eq!(
        refused,
        Err(Error::Invalid(i18n::t(
            lang,
            "obs.retired_category",
            &[("text", &new)]
        )))
    );
    assert!(a.follow_report(&filed.secret, None, lang).await.is_ok());
    assert_eq!(
        kind(&a.retire_category(admin, "no_such_thing", false, lang).await),
        "not found"
    );
    // A category in a group that does not exist is refused.
    let got = a
        .put_category(admin, "suelto", &named(Some("no_group"), "Suelto"), lang)
        .await;
    assert_eq!(kind(&got), "unprocessable");
}
