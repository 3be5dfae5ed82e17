//! Query-string parameters, read by hand so that every malformed value gets a clear 400 that
//! names the parameter (axum's extractor would answer plain text).

use crate::Problem;
use i18n::Lang;
use std::collections::HashMap;

tokio::task_local! {
    /// The language the request asks for: a valid `lang` in its query, else its
    /// `Accept-Language`, else Spanish (set for each request by `lib::asked_language`).
    pub static ASKED: Lang;
}

/// The language of the request's messages (see [`ASKED`]).
pub fn asked() -> Lang {
    ASKED.try_with(|l| *l).unwrap_or_default()
}

/// Parsed `?a=b&c=d` (percent-decoded; a repeated key keeps its last value).
#[derive(Debug, Default)]
pub struct Params {
    map: HashMap<String, String>,
    /// Language of messages (`lang`, default Spanish).
    pub lang: Lang,
}

fn decode(s: &str) -> Result<String, ()> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3).ok_or(())?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ())
}

/// The `key=value` pairs of a query string or form, percent-decoded, in order, NULs
/// included; a malformed percent-encoding is a 400.
pub fn pairs_with_nul(raw: &str) -> Result<Vec<(String, String)>, Problem> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match (decode(k), decode(v)) {
                (Ok(k), Ok(v)) => Ok((k, v)),
                _ => Err(Problem::bad_request(i18n::t(
                    asked(),
                    "error.bad_percent",
                    &[("pair", &pair)],
                ))),
            }
        })
        .collect()
}

/// `s` without NUL characters.
pub(crate) fn without_nul(s: String) -> String {
    if s.contains('\0') {
        s.replace('\0', "")
    } else {
        s
    }
}

impl Params {
    /// Parses a raw query string.
    pub fn parse(raw: Option<&str>) -> Result<Params, Problem> {
        let map: HashMap<String, String> = pairs_with_nul(raw.unwrap_or(""))?.into_iter().collect();
        let lang = match map.get("lang").filter(|l| !l.contains('\0')) {
            None => asked(),
            Some(l) => Lang::parse(l).ok_or_else(|| {
                Problem::bad_request(i18n::t(asked(), "error.bad_lang", &[("text", l)]))
            })?,
        };
        // No text carries a NUL (PostgreSQL cannot store or compare one): a parameter holding
        // one is a 400 that names it, on every backend alike.
        if let Some(k) = map
            .iter()
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
            .map(|(k, _)| k)
        {
            return Err(crate::bodies::nul_in_field(lang, k));
        }
        Ok(Params { map, lang })
    }

    /// A parameter's value, `None` if absent or empty.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.map
            .get(key)
            .map(String::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    /// A parameter as given, empty included (`None` only if absent).
    pub fn given(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str).map(str::trim)
    }

    /// A required parameter.
    pub fn need(&self, key: &str) -> Result<&str, Problem> {
        self.get(key).ok_or_else(|| {
            Problem::bad_request(i18n::t(self.lang, "error.param_required", &[("key", &key)]))
        })
    }

    /// A number within `range`, or `default` when absent. Present but empty (`limit=`) is not
    /// absent: it is a 400, as the document's integer types say.
    pub fn number<T>(
        &self,
        key: &str,
        default: T,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<T, Problem>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        match self.map.get(key).map(String::as_str) {
            None => Ok(default),
            Some(v) => match v.parse::<T>() {
                Ok(x) if range.contains(&x) => Ok(x),
                _ => Err(Problem::bad_request(i18n::t(
                    self.lang,
                    "error.param_number",
                    &[
                        ("key", &key),
                        ("min", range.start()),
                        ("max", range.end()),
                        ("value", &v),
                    ],
                ))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_and_validates() {
        let p = Params::parse(Some("from=-16.4%2C-71.5&to=a+b&n=7&lang=en")).unwrap();
        assert_eq!(p.get("from"), Some("-16.4,-71.5"));
        assert_eq!(p.get("to"), Some("a b"));
        assert_eq!(p.number("n", 0u32, 0..=10).unwrap(), 7);
        assert!(p.number("n", 0u32, 0..=5).is_err());
        assert!(
            Params::parse(Some("n="))
                .unwrap()
                .number("n", 1u32, 0..=5)
                .is_err()
        );
        assert!(
            Params::parse(Some("n=+7 "))
                .unwrap()
                .number("n", 1u32, 0..=9)
                .is_err()
        );
        assert_eq!(p.lang, Lang::En);
        assert!(Params::parse(Some("x=%zz")).is_err());
        assert!(Params::parse(Some("x=%C3")).is_err(), "invalid UTF-8");
        assert!(Params::parse(Some("lang=fr")).is_err());
        assert!(Params::parse(None).unwrap().need("from").is_err());
    }

    proptest! {
        #[test]
        fn any_query_string_parses_or_is_a_400(raw in ".{0,200}") {
            match Params::parse(Some(&raw)) {
                Ok(p) => { let _ = p.number("limit", 10u32, 1..=50); let _ = p.get("from"); }
                Err(problem) => prop_assert_eq!(problem.status, 400),
            }
        }
    }
}
