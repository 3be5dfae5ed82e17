//! Officials: who is behind a bearer token, and whether their role allows an action.

use crate::{Error, Obs};
use i18n::Lang;
use store::{Official, Role};

/// The official whose token is `token`, if their role is at least `needed`. No token or an
/// unknown one: [`Error::Unauthorized`]; a role too low: [`Error::Forbidden`].
pub(crate) async fn authenticate(
    o: &Obs,
    token: Option<&str>,
    needed: Role,
    lang: Lang,
) -> Result<Official, Error> {
    let unauthorized = || Error::Unauthorized(i18n::t(lang, "obs.need_token", &[]));
    let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
        return Err(unauthorized());
    };
    let who = o
        .store
        .authenticate(token)
        .await
        .map_err(|e| Error::from_store(&e, lang))?
        .ok_or_else(unauthorized)?;
    require(&who, needed, lang)?;
    Ok(who)
}

/// [`Error::Forbidden`] unless `who`'s role is at least `needed`.
pub fn require(who: &Official, needed: Role, lang: Lang) -> Result<(), Error> {
    if who.role < needed {
        return Err(Error::Forbidden(i18n::t(
            lang,
            "obs.wrong_role",
            &[("role", &who.role), ("needed", &needed)],
        )));
    }
    Ok(())
}
