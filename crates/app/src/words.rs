//! Closed-set words (`gender`, `status`, …) and ids typed by people.

use crate::Error;
use i18n::Lang;

/// A closed-set word: absent or empty is `None`, unknown is [`Error::Invalid`] listing the
/// allowed values.
pub fn word<T: store::Word>(lang: Lang, field: &str, v: Option<&str>) -> Result<Option<T>, Error> {
    match v {
        None | Some("") => Ok(None),
        Some(x) => T::from_str(x).map(Some).map_err(|_| {
            let allowed: Vec<&str> = T::ALL.iter().map(|w| w.word()).collect();
            Error::Invalid(i18n::t(
                lang,
                "obs.bad_value",
                &[
                    ("text", &x),
                    ("field", &field),
                    ("allowed", &allowed.join(", ")),
                ],
            ))
        }),
    }
}

/// A route id typed or chosen: absent is `None`, unknown is [`Error::Unprocessable`].
pub fn route(
    tt: &timetable::Timetable,
    id: Option<&str>,
    lang: Lang,
) -> Result<Option<String>, Error> {
    id.map(|id| {
        tt.route_by_id(id)
            .map(|ri| tt.route(ri).id.clone())
            .ok_or_else(|| {
                Error::Unprocessable(i18n::t(lang, "obs.unknown_route", &[("text", &id)]))
            })
    })
    .transpose()
}
