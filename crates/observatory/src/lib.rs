//! paradero's mobility observatory, the pure part: the records it keeps (`model`), coarse
//! places (`zone`), time bands, incident categories, the indicators computed from grouped
//! counts (`indicators`), and small-cell suppression (`suppress`) so that no published table
//! lets anyone count fewer than k people. No I/O: the `store` crate reads and writes the
//! records, the server publishes the tables.

pub mod categories;
pub mod model;
pub mod privacy;
pub mod publish;
pub mod questionnaire;
pub mod release;
/// Zones live with the timetable (the planner, the phone's router included, reads them
/// without the privacy machinery); re-exported here where the observatory always had them.
pub use timetable::zone;

use sha2::{Digest, Sha256};

/// SHA-256 of a string, hex.
pub fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Free text as people type it: control characters (NUL, escapes, the C0 and C1 ranges) are
/// nothing anyone typed and break what reads the text later (PostgreSQL refuses NUL, XML
/// cannot carry C0), so they go; line breaks (a carriage return becomes one) and tabs stay.
pub fn plain_text(s: &str) -> String {
    s.replace("\r\n", "\n")
        .chars()
        .map(|c| if c == '\r' { '\n' } else { c })
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

/// Time bands of the day, as the Arequipa and Trujillo surveys group them: rush hours apart.
pub const HOUR_BANDS: [(&str, u8, u8); 7] = [
    ("00-05", 0, 5),
    ("06-08", 6, 8),
    ("09-11", 9, 11),
    ("12-14", 12, 14),
    ("15-17", 15, 17),
    ("18-20", 18, 20),
    ("21-23", 21, 23),
];

/// The band of a local hour (0–23).
pub fn hour_band(hour: u8) -> &'static str {
    HOUR_BANDS
        .iter()
        .find(|(_, a, b)| (*a..=*b).contains(&hour))
        .map_or("21-23", |b| b.0)
}

/// An incident category: a stable key (its label is in the catalog as `category.<key>`, or
/// in the categories' data), whether it counts as sexual harassment, and its family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Stable key, stored with each report.
    pub key: String,
    /// Counted in the share of harassment.
    pub harassment: bool,
    /// Incident family (`acoso`, `robo`, `agresion`, `otro`); empty: derived from the key.
    pub family: String,
}

/// The family of a category by paradero's own keys, for categories that do not say.
pub fn family_of_key(c: &Category) -> &'static str {
    if c.harassment {
        "acoso"
    } else if c.key == "robo" {
        "robo"
    } else if c.key.starts_with("agresion") {
        "agresion"
    } else {
        "otro"
    }
}

/// The default categories, modelled on the Trujillo observatory and the Arequipa surveys.
pub const DEFAULT_CATEGORIES: [(&str, bool); 20] = [
    ("acoso_verbal", true),
    ("acoso_fisico", true),
    ("acoso_exhibicionismo", true),
    ("acoso_tocamientos", true),
    ("agresion_verbal", false),
    ("agresion_fisica", false),
    ("agresion_identidad", false),
    ("robo", false),
    ("inseguridad", false),
    ("sobrecarga", false),
    ("espera_larga", false),
    ("desvio_ruta", false),
    ("rechazo_estudiante", false),
    ("rechazo_discapacidad", false),
    ("rechazo_adulto_mayor", false),
    ("sin_accesibilidad", false),
    ("conduccion_peligrosa", false),
    ("paradero_inseguro", false),
    ("cobro_indebido", false),
    ("otro", false),
];

/// The default road actors (keys; labels in the catalog as `actor.<key>`), after the Trujillo
/// observatory's list, with the vehicles of Peruvian streets (mototaxi, combi).
pub const DEFAULT_ROAD_ACTORS: [&str; 11] = [
    "peaton",
    "pasajero",
    "conductor_bus",
    "conductor_combi",
    "conductor_taxi",
    "conductor_mototaxi",
    "conductor_auto",
    "motociclista",
    "ciclista",
    "conductor_carga",
    "nadie",
];

/// The default categories as values.
pub fn default_categories() -> Vec<Category> {
    DEFAULT_CATEGORIES
        .iter()
        .map(|(k, h)| Category {
            key: (*k).to_string(),
            harassment: *h,
            family: String::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hour_has_one_band() {
        for h in 0..24u8 {
            let n = HOUR_BANDS
                .iter()
                .filter(|(_, a, b)| (*a..=*b).contains(&h))
                .count();
            assert_eq!(n, 1, "hour {h}");
        }
        assert_eq!(hour_band(7), "06-08");
        assert_eq!(hour_band(23), "21-23");
    }
}
