//! Incident categories as data: a hierarchy of groups and the categories reports are filed
//! under, each with a stable code, labels in Spanish, English and Quechua, a place in the list
//! and (for categories) the incident family the indicators and the safer-trip planner count it
//! in. Officials add, rename, move, reorder and retire them; a retired one keeps its history
//! (reports filed under it, released cells) but takes no new reports.
//!
//! The seed merges paradero's categories (harassment first) with the hierarchy of the
//! Trujillo observatory (OMUS), read from its public seed data; OMUS categories paradero
//! already has are not repeated. A group and a category are told apart by having a parent
//! or not, so a group may share its code with a category (`robo` is both, as it always was).

use crate::questionnaire::Labels;
use crate::release::FAMILIES;
use crate::{Category, family_of_key};
use serde::{Deserialize, Serialize};

/// A group (no parent) or a category (its parent is a group).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Stable code (`a-z`, `0-9`, `_`, at most 40).
    pub code: String,
    /// The group a category belongs to; `None` for a group.
    pub parent: Option<String>,
    /// The incident family of a category (`acoso`, `robo`, `agresion`, `otro`); empty for a
    /// group.
    pub family: String,
    /// Its name.
    pub labels: Labels,
    /// Place in its list (groups among groups, categories within their group).
    pub position: i32,
    /// Takes no new reports; kept for history.
    pub retired: bool,
}

/// The whole list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalogue {
    /// Groups and categories, in no particular order.
    pub nodes: Vec<Node>,
}

fn good_code(c: &str) -> bool {
    (1..=40).contains(&c.len())
        && c.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Catalogue {
    /// The group `code`.
    pub fn group(&self, code: &str) -> Option<&Node> {
        self.nodes
            .iter()
            .find(|n| n.parent.is_none() && n.code == code)
    }

    /// The category `code`.
    pub fn category(&self, code: &str) -> Option<&Node> {
        self.nodes
            .iter()
            .find(|n| n.parent.is_some() && n.code == code)
    }

    /// The groups, in order (retired ones too).
    pub fn groups(&self) -> Vec<&Node> {
        let mut g: Vec<&Node> = self.nodes.iter().filter(|n| n.parent.is_none()).collect();
        g.sort_by(|a, b| (a.position, &a.code).cmp(&(b.position, &b.code)));
        g
    }

    /// The categories of `group`, in order (retired ones too).
    pub fn children(&self, group: &str) -> Vec<&Node> {
        let mut c: Vec<&Node> = self
            .nodes
            .iter()
            .filter(|n| n.parent.as_deref() == Some(group))
            .collect();
        c.sort_by(|a, b| (a.position, &a.code).cmp(&(b.position, &b.code)));
        c
    }

    /// Every category, group by group, in order; `live` leaves out retired ones (and those
    /// of retired groups).
    pub fn leaves(&self, live: bool) -> Vec<&Node> {
        self.groups()
            .into_iter()
            .filter(|g| !live || !g.retired)
            .flat_map(|g| self.children(&g.code))
            .filter(|c| !live || !c.retired)
            .collect()
    }

    /// Whether a report may be filed under `code` now.
    pub fn fileable(&self, code: &str) -> bool {
        self.leaves(true).iter().any(|c| c.code == code)
    }

    /// The categories as the releases and the indicators read them (every category, retired
    /// ones too: their history stays countable).
    pub fn categories(&self) -> Vec<Category> {
        self.leaves(false)
            .into_iter()
            .map(|n| Category {
                key: n.code.clone(),
                harassment: n.family == "acoso",
                family: n.family.clone(),
            })
            .collect()
    }

    /// Checks a node before it is stored in this catalogue: a good code, a Spanish label, a
    /// parent that is a group (or none, for a group), and a known family for a category.
    pub fn check(&self, n: &Node) -> Result<(), String> {
        if !good_code(&n.code) {
            return Err(format!("«{}»: use a-z, 0-9 and _ (at most 40)", n.code));
        }
        if n.labels.es.trim().is_empty() || n.labels.es.chars().count() > 200 {
            return Err("the Spanish name is missing or longer than 200 characters".into());
        }
        for l in [&n.labels.en, &n.labels.qu] {
            if l.chars().count() > 200 {
                return Err("a name is longer than 200 characters".into());
            }
        }
        match &n.parent {
            None => {
                if !n.family.is_empty() {
                    return Err("a group has no family; its categories do".into());
                }
            }
            Some(p) => {
                if self.group(p).is_none() {
                    return Err(format!("there is no group «{p}»"));
                }
                if !FAMILIES.contains(&n.family.as_str()) {
                    return Err(format!(
                        "family «{}»: one of {}",
                        n.family,
                        FAMILIES.join(", ")
                    ));
                }
            }
        }
        Ok(())
    }

    /// The seed: paradero's groups and `configured` categories (labels from `label`, which
    /// reads the catalog), then the OMUS groups and their categories.
    pub fn seed(configured: &[Category], label: impl Fn(&str) -> Labels) -> Catalogue {
        let mut nodes = Vec::new();
        let group_of = |c: &Category| match family_of_key(c) {
            "otro" => "servicio",
            f => f,
        };
        for (i, g) in ["acoso", "agresion", "robo", "servicio"].iter().enumerate() {
            nodes.push(Node {
                code: (*g).to_string(),
                parent: None,
                family: String::new(),
                labels: label(&format!("category_group.{g}")),
                position: i32::try_from(i).unwrap_or(0),
                retired: false,
            });
        }
        for (i, c) in configured.iter().enumerate() {
            nodes.push(Node {
                code: c.key.clone(),
                parent: Some(group_of(c).to_string()),
                family: family_of_key(c).to_string(),
                labels: label(&format!("category.{}", c.key)),
                position: i32::try_from(i).unwrap_or(0),
                retired: false,
            });
        }
        let seeded: std::collections::HashSet<String> =
            nodes.iter().map(|n| n.code.clone()).collect();
        // OMUS codes are paradero's own and meant not to clash; a clash would be skipped.
        for (gi, (code, es, en, qu, children)) in OMUS.iter().enumerate() {
            if seeded.contains(*code) {
                continue;
            }
            nodes.push(Node {
                code: (*code).to_string(),
                parent: None,
                family: String::new(),
                labels: Labels {
                    es: (*es).into(),
                    en: (*en).into(),
                    qu: (*qu).into(),
                },
                position: 10 + i32::try_from(gi).unwrap_or(0),
                retired: false,
            });
            for (ci, (c, family, es, en)) in children.iter().enumerate() {
                if seeded.contains(*c) {
                    continue;
                }
                nodes.push(Node {
                    code: (*c).to_string(),
                    parent: Some((*code).to_string()),
                    family: (*family).to_string(),
                    labels: Labels {
                        es: (*es).into(),
                        en: (*en).into(),
                        qu: OMUS_QU
                            .iter()
                            .find(|(k, _)| k == c)
                            .map_or_else(String::new, |(_, q)| (*q).to_string()),
                    },
                    position: i32::try_from(ci).unwrap_or(0),
                    retired: false,
                });
            }
        }
        Catalogue { nodes }
    }
}

/// Quechua names of the OMUS categories (paradero's wording, to be reviewed by a speaker).
const OMUS_QU: &[(&str, &str)] = &[
    ("casi_accidente", "Yaqa accidente"),
    ("atropello", "Runata carro ñit'isqan"),
    ("choque_danos", "Carrokuna tupanakusqan, waqllisqallam"),
    ("taxi_peligroso", "Taxi chofer manchakuypaq manejasqan"),
    ("otro_vial", "Huk (ñanpi mana allin purina)"),
    ("hurto_auto", "Carro suwasqa"),
    ("hurto_moto", "Moto suwasqa"),
    ("hurto_bici", "Bicicleta utaq patineta suwasqa"),
    ("otro_personal", "Huk (runaq mana allin kaynin)"),
    ("hueco", "Ñanpi t'uqu utaq waqllisqa"),
    ("sin_conectividad", "Ñankuna mana tinkinakunchu"),
    ("sin_senalizacion", "Mana señalkuna kanchu"),
    ("acera_angosta", "Vereda k'ullqu utaq mana kanchu"),
    ("obstaculo", "Manchakuypaq hark'aq"),
    ("sin_iluminacion", "Mana k'anchay kanchu"),
    ("semaforo_danado", "Semáforo waqllisqa"),
    (
        "otro_infraestructura",
        "Huk (mana allin ñankuna, paraderokuna)",
    ),
    ("verde_corto", "Semáforo q'umir pachan ancha pisi"),
    ("paradero_danado", "Paradero waqllisqa"),
    ("bus_danado", "Carro waqllisqa"),
    ("sin_info_rutas", "Mana rutakunamanta willakuy kanchu"),
    (
        "paradero_lejos",
        "Mana paradero kanchu chunka minuto puriyllapi",
    ),
    ("otro_red", "Huk (antawakunaq llamk'aynin)"),
    ("exceso_velocidad", "Ancha utqaylla manejan"),
    ("luz_roja", "Puka k'anchaypi mana sayanchu"),
    ("pisa_cebra", "Cebra patapi sayan"),
    ("invade_ciclovia", "Moto ciclovíata hap'in"),
    ("mal_parqueado", "Mana allinpi sayachisqa carro"),
    ("otro_infraccion", "Huk (kamachikunata p'akin)"),
    ("cede_paso", "Purinanta saqirqan"),
    ("ayuda", "Pitapas yanaparqan"),
    ("conduccion_segura", "Bus utaq taxi chofer allinta manejan"),
    ("otro_buen", "Huk (allin ruway)"),
    ("pide_paradero", "Huk paraderota mañakuy"),
    (
        "pide_bici_compartida",
        "Bicicleta rakinakuy estaciónta mañakuy",
    ),
    ("pide_cicloparqueadero", "Bicicleta sayachinata mañakuy"),
    ("pide_cruce_seguro", "Allin chimpanata mañakuy"),
    (
        "pide_accesibilidad",
        "Discapacidadniyuqkunapaq ñankunata mañakuy",
    ),
    ("otro_propuesta", "Huk (yuyaychay)"),
    ("ciclovia_nueva", "Musuq ciclovía"),
    ("acera_arreglada", "Vereda allichasqa"),
    ("otro_felicitacion", "Huk (saminchay)"),
];

type Child = (&'static str, &'static str, &'static str, &'static str);
type Group = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [Child],
);

/// The Trujillo observatory's hierarchy (OMUS, `DbInitializer.cs`), without what paradero's
/// own categories already cover (sexual harassment, physical violence and disrespect on
/// public transport, the bus that never comes, route changes) and without the Bogotá and
/// Cuenca specifics (TransMilenio, tram) that do not apply in Peru. Codes are paradero's;
/// the Spanish names are OMUS's. Quechua names are in `OMUS_QU`.
const OMUS: &[Group] = &[
    (
        "inseguridad_vial",
        "Inseguridad vial",
        "Road safety",
        "Ñanpi mana allin purina",
        &[
            (
                "casi_accidente",
                "otro",
                "Casi accidente (near-miss)",
                "Near miss",
            ),
            ("atropello", "otro", "Atropello", "Pedestrian hit"),
            (
                "choque_danos",
                "otro",
                "Choque con sólo daños",
                "Crash, damage only",
            ),
            (
                "taxi_peligroso",
                "otro",
                "Conducción peligrosa de un taxi",
                "Dangerous taxi driving",
            ),
            (
                "otro_vial",
                "otro",
                "Otro (inseguridad vial)",
                "Other (road safety)",
            ),
        ],
    ),
    (
        "inseguridad_personal",
        "Inseguridad personal",
        "Personal safety",
        "Runaq mana allin kaynin",
        &[
            ("hurto_auto", "robo", "Hurto de automotores", "Car theft"),
            (
                "hurto_moto",
                "robo",
                "Hurto de motocicletas",
                "Motorcycle theft",
            ),
            (
                "hurto_bici",
                "robo",
                "Hurto de bicicletas o patinetas",
                "Bicycle or scooter theft",
            ),
            (
                "otro_personal",
                "otro",
                "Otro (inseguridad personal)",
                "Other (personal safety)",
            ),
        ],
    ),
    (
        "infraestructura",
        "Mala condición de infraestructura",
        "Poor infrastructure",
        "Mana allin ñankuna, paraderokuna",
        &[
            (
                "hueco",
                "otro",
                "Hueco o daño en infraestructura",
                "Pothole or damaged infrastructure",
            ),
            (
                "sin_conectividad",
                "otro",
                "Falta de conectividad en red",
                "Missing link in the network",
            ),
            (
                "sin_senalizacion",
                "otro",
                "Falta de señalización",
                "Missing signs",
            ),
            (
                "acera_angosta",
                "otro",
                "Acera angosta o inexistente",
                "Narrow or missing sidewalk",
            ),
            (
                "obstaculo",
                "otro",
                "Obstáculo peligroso",
                "Dangerous obstacle",
            ),
            (
                "sin_iluminacion",
                "otro",
                "Falta de iluminación",
                "No street lighting",
            ),
            (
                "semaforo_danado",
                "otro",
                "Semáforo dañado",
                "Broken traffic light",
            ),
            (
                "otro_infraestructura",
                "otro",
                "Otro (mala condición de infraestructura)",
                "Other (infrastructure)",
            ),
        ],
    ),
    (
        "red_operacion",
        "Mala condición de red y su operación",
        "Network and operations",
        "Antawakunaq mana allin llamk'aynin",
        &[
            (
                "verde_corto",
                "otro",
                "Semáforo con tiempo de verde muy corto",
                "Green light too short to cross",
            ),
            (
                "paradero_danado",
                "otro",
                "Daño en el paradero",
                "Damaged bus stop",
            ),
            ("bus_danado", "otro", "Bus dañado", "Damaged bus"),
            (
                "sin_info_rutas",
                "otro",
                "Información de rutas inexistente o robada",
                "Route information missing or stolen",
            ),
            (
                "paradero_lejos",
                "otro",
                "No hay paradero a menos de 10 minutos caminando",
                "No stop within a 10-minute walk",
            ),
            (
                "otro_red",
                "otro",
                "Otro (mala condición de red y su operación)",
                "Other (network and operations)",
            ),
        ],
    ),
    (
        "infraccion",
        "Otro actor infringe alguna norma",
        "Someone breaks a rule",
        "Pipas kamachikunata p'akin",
        &[
            (
                "exceso_velocidad",
                "otro",
                "No respeta los límites de velocidad",
                "Speeding",
            ),
            (
                "luz_roja",
                "otro",
                "No respeta la luz roja del semáforo",
                "Running a red light",
            ),
            (
                "pisa_cebra",
                "otro",
                "Pisa la cebra",
                "Stops on the crossing",
            ),
            (
                "invade_ciclovia",
                "otro",
                "Motocicleta invade cicloinfraestructura",
                "Motorcycle in the bike lane",
            ),
            ("mal_parqueado", "otro", "Mal parqueado", "Badly parked"),
            (
                "otro_infraccion",
                "otro",
                "Otro (otro actor infringe alguna norma)",
                "Other (rule broken)",
            ),
        ],
    ),
    (
        "buen_comportamiento",
        "Buen comportamiento de algún actor",
        "Good behaviour",
        "Allin ruway",
        &[
            (
                "cede_paso",
                "otro",
                "Ceder la vía a peatón",
                "Gave way to a pedestrian",
            ),
            ("ayuda", "otro", "Ayudar a alguien", "Helped someone"),
            (
                "conduccion_segura",
                "otro",
                "Conducción segura de un conductor de bus o taxi",
                "Safe driving by a bus or taxi driver",
            ),
            (
                "otro_buen",
                "otro",
                "Otro (buen comportamiento)",
                "Other (good behaviour)",
            ),
        ],
    ),
    (
        "propuestas",
        "Propuestas ciudadanas",
        "Citizens' proposals",
        "Llaqtamasikunaq yuyaychaynin",
        &[
            (
                "pide_paradero",
                "otro",
                "Pedir un paradero del transporte público",
                "Ask for a public transport stop",
            ),
            (
                "pide_bici_compartida",
                "otro",
                "Pedir una estación de bicicleta compartida",
                "Ask for a bike-share station",
            ),
            (
                "pide_cicloparqueadero",
                "otro",
                "Pedir un estacionamiento de bicicletas",
                "Ask for bicycle parking",
            ),
            (
                "pide_cruce_seguro",
                "otro",
                "Pedir una pacificación de tráfico o un cruce seguro en el barrio",
                "Ask for traffic calming or a safe crossing",
            ),
            (
                "pide_accesibilidad",
                "otro",
                "Pedir infraestructura para personas con discapacidad en un lugar específico",
                "Ask for accessible infrastructure at a place",
            ),
            (
                "otro_propuesta",
                "otro",
                "Otro (propuestas ciudadanas)",
                "Other (proposal)",
            ),
        ],
    ),
    (
        "felicitaciones",
        "Felicitar al sector de movilidad",
        "Congratulate the mobility office",
        "Movilidad llamk'aqkunata saminchay",
        &[
            (
                "ciclovia_nueva",
                "otro",
                "Pusieron ciclovía",
                "A new bike lane",
            ),
            (
                "acera_arreglada",
                "otro",
                "Arreglaron o instalaron acera",
                "A sidewalk fixed or built",
            ),
            (
                "otro_felicitacion",
                "otro",
                "Otro (felicitar al sector de movilidad)",
                "Other (congratulations)",
            ),
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(key: &str) -> Labels {
        Labels {
            es: key.to_string(),
            en: key.to_string(),
            qu: key.to_string(),
        }
    }

    #[test]
    fn the_seed_is_paradeross_categories_then_omuss_hierarchy_without_repeats() {
        let c = Catalogue::seed(&crate::default_categories(), labels);
        let groups: Vec<&str> = c.groups().iter().map(|g| g.code.as_str()).collect();
        assert_eq!(groups[..4], ["acoso", "agresion", "robo", "servicio"]);
        assert_eq!(groups.len(), 4 + OMUS.len());
        // Harassment first, as today.
        assert_eq!(c.leaves(true)[0].code, "acoso_verbal");
        let mut codes: Vec<(bool, &str)> = c
            .nodes
            .iter()
            .map(|n| (n.parent.is_none(), n.code.as_str()))
            .collect();
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(
            codes.len(),
            n,
            "codes are unique among groups and among categories"
        );
        for node in &c.nodes {
            c.check(node)
                .unwrap_or_else(|e| panic!("{}: {e}", node.code));
        }
        assert!(c.leaves(true).len() > 60, "{}", c.leaves(true).len());
        // Every name in the three languages riders read.
        for n in &c.nodes {
            assert!(
                !n.labels.en.is_empty() && !n.labels.qu.is_empty(),
                "{} lacks English or Quechua",
                n.code
            );
        }
        // Families: theft of vehicles counts as theft; harassment stays harassment.
        assert_eq!(c.category("hurto_moto").unwrap().family, "robo");
        assert!(
            c.categories()
                .iter()
                .any(|x| x.key == "acoso_fisico" && x.harassment)
        );
    }

    #[test]
    fn retired_categories_and_groups_take_no_reports_but_keep_their_history() {
        let mut c = Catalogue::seed(&crate::default_categories(), labels);
        assert!(c.fileable("robo"));
        c.nodes
            .iter_mut()
            .find(|n| n.code == "robo")
            .unwrap()
            .retired = true;
        assert!(!c.fileable("robo"));
        assert!(c.categories().iter().any(|x| x.key == "robo"));
        c.nodes
            .iter_mut()
            .find(|n| n.code == "propuestas")
            .unwrap()
            .retired = true;
        assert!(!c.fileable("pide_paradero"));
        assert!(c.leaves(false).iter().any(|x| x.code == "pide_paradero"));
    }

    #[test]
    fn bad_nodes_are_refused_with_a_reason() {
        let c = Catalogue::seed(&crate::default_categories(), labels);
        let node = |code: &str, parent: Option<&str>, family: &str| Node {
            code: code.into(),
            parent: parent.map(str::to_string),
            family: family.into(),
            labels: labels("x"),
            position: 0,
            retired: false,
        };
        assert!(c.check(&node("nuevo", Some("servicio"), "otro")).is_ok());
        assert!(c.check(&node("Nuevo!", Some("servicio"), "otro")).is_err());
        assert!(
            c.check(&node("nuevo", Some("nope"), "otro"))
                .unwrap_err()
                .contains("no group")
        );
        // `robo` is a group (and a category); `acoso_verbal` only a category.
        assert!(c.check(&node("nuevo", Some("robo"), "robo")).is_ok());
        assert!(
            c.check(&node("nuevo", Some("acoso_verbal"), "otro"))
                .unwrap_err()
                .contains("no group")
        );
        assert!(
            c.check(&node("nuevo", Some("servicio"), "pelea"))
                .unwrap_err()
                .contains("family")
        );
        assert!(c.check(&node("grupo", None, "otro")).is_err());
        assert!(c.check(&node("grupo", None, "")).is_ok());
    }
}
