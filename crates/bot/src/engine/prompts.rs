//! Pieces of questions shared by the flows: button rows, labels, the gender and age questions.

use super::Out;
use app::{AgeBand, Gender, Word};
use app::{StopIdx, Timetable};
use i18n::{Lang, t};

pub(super) fn rows_of(
    buttons: Vec<(String, String)>,
    per_row: usize,
) -> Vec<Vec<(String, String)>> {
    buttons
        .chunks(per_row.max(1))
        .map(<[(String, String)]>::to_vec)
        .collect()
}

pub(super) fn word_label<W: Word + std::fmt::Display>(lang: Lang, prefix: &str, w: W) -> String {
    t(lang, &format!("{prefix}.{w}"), &[])
}

pub(super) fn stop_label(lang: Lang, tt: &Timetable, s: StopIdx) -> String {
    let st = tt.stop(s);
    app::stop_display_name(lang, &st.name, &st.id)
}

/// A "skip" button for the question `k`.
pub(super) fn skip(lang: Lang, k: &str) -> (String, String) {
    (t(lang, "bot.skip", &[]), format!("{k}:skip"))
}

/// The gender question; with `skippable`, a "skip" button too.
pub(super) fn gender_buttons(lang: Lang, skippable: bool) -> Out {
    let mut b: Vec<(String, String)> = Gender::ALL
        .iter()
        .map(|&g| (word_label(lang, "gender", g), format!("g:{}", g.as_str())))
        .collect();
    if skippable {
        b.push(skip(lang, "g"));
    }
    Out::buttons(t(lang, "bot.ask.gender", &[]), rows_of(b, 2))
}

/// The age-band question, with a "skip" button.
pub(super) fn age_buttons(lang: Lang) -> Out {
    let mut b: Vec<(String, String)> = AgeBand::ALL
        .iter()
        .map(|&a| (word_label(lang, "age", a), format!("a:{}", a.as_str())))
        .collect();
    b.push(skip(lang, "a"));
    Out::buttons(t(lang, "bot.ask.age", &[]), rows_of(b, 3))
}
