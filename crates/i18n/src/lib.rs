//! paradero's message catalog. Every user-facing text lives in `catalog/<lang>.toml`, Spanish
//! first; code asks for a key and fills `{placeholders}`. A key missing in a language falls
//! back to Spanish (tests check that no key is missing).

use std::collections::HashMap;
use std::sync::OnceLock;

/// A language paradero speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Spanish (default).
    #[default]
    Es,
    /// English.
    En,
    /// Quechua (Southern Quechua, as spoken around Arequipa and Cusco). Every text is
    /// translated (a test fails on a missing key); a key missing at run time falls back to
    /// Spanish. The dashboard's, the indicators' and the API's texts are a first translation
    /// by the developers, to be reviewed by Quechua speakers.
    Qu,
}

impl Lang {
    /// All languages, default first.
    pub const ALL: [Lang; 3] = [Lang::Es, Lang::En, Lang::Qu];

    /// ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
            Lang::Qu => "qu",
        }
    }

    /// From a code such as `es`, `en`, `es-PE`; `None` if unsupported.
    pub fn parse(code: &str) -> Option<Lang> {
        let base = code
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == base)
    }

    fn source(self) -> &'static str {
        match self {
            Lang::Es => include_str!("../catalog/es.toml"),
            Lang::En => include_str!("../catalog/en.toml"),
            Lang::Qu => include_str!("../catalog/qu.toml"),
        }
    }
}

type Catalog = HashMap<String, String>;

fn catalogs() -> &'static HashMap<Lang, Catalog> {
    static CATALOGS: OnceLock<HashMap<Lang, Catalog>> = OnceLock::new();
    CATALOGS.get_or_init(|| {
        Lang::ALL
            .into_iter()
            .map(|l| {
                // The catalogs are compiled in and checked by tests; an unreadable one is empty.
                let table: toml::Table = toml::from_str(l.source()).unwrap_or_default();
                let map = table
                    .into_iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
                    .collect();
                (l, map)
            })
            .collect()
    })
}

/// The message `key` in `lang` with `{name}` placeholders replaced by `args`. Unknown keys
/// come back as the key itself, so a gap is visible rather than silent.
pub fn t(lang: Lang, key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    let cats = catalogs();
    let template = cats
        .get(&lang)
        .and_then(|c| c.get(key))
        .or_else(|| cats.get(&Lang::Es).and_then(|c| c.get(key)));
    let Some(template) = template else {
        return key.to_string();
    };
    fill(template, args)
}

/// `template` with each `{name}` replaced by its argument, in one pass: an argument's own
/// text is never read as a placeholder (a street called "{to}" stays as it is), and a
/// placeholder without an argument is kept.
fn fill(template: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(template.len() + 16 * args.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after
            .find('}')
            .and_then(|close| Some((close, args.iter().find(|(n, _)| *n == &after[..close])?)))
        {
            Some((close, (_, value))) => {
                let _ = write!(out, "{value}");
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Keys of a language's catalog (for tests and tools).
pub fn keys(lang: Lang) -> Vec<String> {
    let mut k: Vec<String> = catalogs()
        .get(&lang)
        .map(|c| c.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

/// The raw template of a key (for tests and tools).
pub fn template(lang: Lang, key: &str) -> Option<&'static str> {
    catalogs()
        .get(&lang)
        .and_then(|c| c.get(key))
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_each_placeholder_once_and_keeps_unknown_ones() {
        let street = "{to}";
        let to = "Plaza";
        let out = fill(
            "Camina por {street} hasta {to}; {other} {",
            &[("street", &street), ("to", &to)],
        );
        assert_eq!(out, "Camina por {to} hasta Plaza; {other} {");
        assert_eq!(fill("{n} m, {n} m", &[("n", &3)]), "3 m, 3 m");
        assert_eq!(fill("sin nada", &[]), "sin nada");
        assert_eq!(fill("ñandú {x}}", &[("x", &"á")]), "ñandú á}");
    }

    fn placeholders(s: &str) -> Vec<String> {
        let mut v: Vec<String> = s
            .split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|x| x.0.to_string()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn every_language_has_every_key_with_the_same_placeholders() {
        let es = keys(Lang::Es);
        assert!(es.len() > 20, "the Spanish catalog parsed");
        for lang in Lang::ALL {
            // Every text in all three languages: riders', officials' and the API's alike.
            let expected = es.clone();
            assert_eq!(keys(lang), expected, "{lang:?} has the keys it must have");
            for k in &expected {
                assert_eq!(
                    placeholders(template(lang, k).unwrap()),
                    placeholders(template(Lang::Es, k).unwrap()),
                    "{lang:?} {k}"
                );
            }
        }
        assert!(keys(Lang::Qu).len() > 150, "the Quechua catalog parsed");
    }

    #[test]
    fn quechua_is_its_own_text_for_riders_and_officials() {
        for key in [
            "web.search",
            "bot.welcome",
            "dash.title",
            "indicator.trips.title",
        ] {
            assert_ne!(t(Lang::Qu, key, &[]), t(Lang::Es, key, &[]), "{key}");
        }
        assert_eq!(Lang::parse("qu"), Some(Lang::Qu));
    }

    #[test]
    fn fills_placeholders_and_shows_gaps() {
        assert_eq!(
            t(Lang::Es, "plan.transfers.n", &[("n", &3)]),
            "3 transbordos"
        );
        assert_eq!(t(Lang::En, "plan.transfers.n", &[("n", &3)]), "3 transfers");
        assert_eq!(t(Lang::En, "no.such.key", &[]), "no.such.key");
        assert_eq!(Lang::parse("es-PE"), Some(Lang::Es));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }

    /// The last walking step in Quechua: the destination's words take the template's `-kama`
    /// once ("rinayki cheqaskama-kama" was the typo riders read).
    #[test]
    fn the_walk_to_the_destination_says_kama_once_in_quechua() {
        for (walk, dest) in [
            ("plan.walk", "plan.walk.destination"),
            ("web.walk", "web.walk.destination"),
        ] {
            let to = t(Lang::Qu, dest, &[]);
            let line = t(
                Lang::Qu,
                walk,
                &[("minutes", &3), ("meters", &200), ("to", &to)],
            );
            assert!(!line.contains("kama-kama"), "{line}");
            assert!(line.ends_with("cheqas-kama"), "{line}");
        }
    }
}
