//! Every problem the HTTP API answers speaks the asker's language: its text comes from the
//! catalog, never from an English literal in a handler.

use std::path::Path;

/// The constructors of `server::Problem` that take the text a client reads.
const MAKERS: [&str; 4] = [
    "Problem::new(",
    "Problem::bad_request(",
    "Problem::not_found(",
    "Problem::unprocessable(",
];

#[test]
fn no_problem_of_the_http_api_is_an_english_literal() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/server/src");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for maker in MAKERS {
            for (at, _) in text.match_indices(maker) {
                // The text argument: after the status for `new`, else the first argument.
                let rest = &text[at + maker.len()..];
                let arg = if maker == "Problem::new(" {
                    rest.split_once(',').map_or("", |(_, a)| a)
                } else {
                    rest
                };
                let arg = arg.trim_start();
                if arg.starts_with('"') || arg.starts_with("format!(") {
                    let line = text[..at].lines().count() + 1;
                    let name = path.file_name().unwrap().to_string_lossy().to_string();
                    found.push(format!("{name}:{line}"));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "problems written as literals, not from the catalog: {found:?}"
    );
}
