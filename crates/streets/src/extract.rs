//! What paradero keeps of an OpenStreetMap extract, as plain data: the ways people walk (and
//! the roads drawn on the map), parks and water, and the places riders name. The reader
//! (`read`) fills it from a `.osm.pbf`; tests and benchmarks build one directly.
//!
//! Tags are read as walkers need them: `highway` values that people walk on (roads with
//! pavements included; motorways not), `foot`/`access` overriding them, `highway=steps` as
//! stairs, `wheelchair=no` as closed to wheelchairs, `footway=crossing` as a crossing; one-way
//! rules are for vehicles and do not apply to walkers.

/// A node's position in 1e-7 degrees (OSM's own precision).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos {
    /// Latitude × 1e7.
    pub lat: i32,
    /// Longitude × 1e7.
    pub lon: i32,
}

impl Pos {
    /// From degrees.
    pub fn from_degrees(lat: f64, lon: f64) -> Pos {
        Pos {
            lat: (lat * 1e7).round() as i32,
            lon: (lon * 1e7).round() as i32,
        }
    }
    /// Latitude in degrees.
    pub fn lat(self) -> f64 {
        f64::from(self.lat) * 1e-7
    }
    /// Longitude in degrees.
    pub fn lon(self) -> f64 {
        f64::from(self.lon) * 1e-7
    }
}

/// How important a road is: what the map draws at which zoom, and what an instruction calls it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoadClass {
    /// `motorway` (drawn, never walked).
    Motorway,
    /// `trunk`.
    Trunk,
    /// `primary`.
    Primary,
    /// `secondary`.
    Secondary,
    /// `tertiary`.
    Tertiary,
    /// `residential`, `unclassified`, `living_street`, `road`.
    Residential,
    /// `service`, `track`.
    Service,
    /// `pedestrian` (streets for people only, plazas).
    Pedestrian,
    /// `footway`, `path`, `cycleway`, `bridleway`, `corridor`, `platform`.
    Footway,
    /// `steps`.
    Steps,
}

impl RoadClass {
    /// Reads a `highway` value; `None` for what is neither walked nor drawn.
    pub fn of_highway(v: &str) -> Option<RoadClass> {
        Some(match v {
            "motorway" | "motorway_link" => RoadClass::Motorway,
            "trunk" | "trunk_link" => RoadClass::Trunk,
            "primary" | "primary_link" => RoadClass::Primary,
            "secondary" | "secondary_link" => RoadClass::Secondary,
            "tertiary" | "tertiary_link" => RoadClass::Tertiary,
            "residential" | "unclassified" | "living_street" | "road" => RoadClass::Residential,
            "service" | "track" => RoadClass::Service,
            "pedestrian" => RoadClass::Pedestrian,
            "footway" | "path" | "cycleway" | "bridleway" | "corridor" | "platform" => {
                RoadClass::Footway
            }
            "steps" => RoadClass::Steps,
            _ => return None,
        })
    }

    /// The word the catalog uses for an unnamed way of this class (`walk.way.*`).
    pub fn key(self) -> &'static str {
        match self {
            RoadClass::Motorway | RoadClass::Trunk => "road",
            RoadClass::Primary | RoadClass::Secondary | RoadClass::Tertiary => "road",
            RoadClass::Residential | RoadClass::Service => "street",
            RoadClass::Pedestrian => "pedestrian",
            RoadClass::Footway => "footway",
            RoadClass::Steps => "steps",
        }
    }
}

/// What a walker may do on a way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Access {
    /// People may walk it.
    pub walk: bool,
    /// It has steps.
    pub stairs: bool,
    /// Tagged `wheelchair=no` (or steps without `wheelchair=yes`/`ramp`).
    pub no_wheelchair: bool,
    /// A street crossing (`footway=crossing`).
    pub crossing: bool,
}

/// A way: walkable, drawn, or both.
#[derive(Clone, Debug, PartialEq)]
pub struct Way {
    /// Its nodes, in order.
    pub nodes: Vec<i64>,
    /// `name`, if any.
    pub name: Option<String>,
    /// Its class.
    pub class: RoadClass,
    /// What walkers may do.
    pub access: Access,
}

/// What an area is, for the map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AreaKind {
    /// Parks, gardens, grass, plazas.
    Park,
    /// Water bodies and riverbanks.
    Water,
}

/// A closed way drawn as an area.
#[derive(Clone, Debug, PartialEq)]
pub struct Area {
    /// Its ring of nodes.
    pub nodes: Vec<i64>,
    /// What it is.
    pub kind: AreaKind,
    /// `name`, if any.
    pub name: Option<String>,
}

/// Kinds of places riders name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlaceKind {
    /// `amenity=marketplace`, `shop=supermarket`.
    Market,
    /// `amenity=school`, `kindergarten`, `college`.
    School,
    /// `amenity=university`.
    University,
    /// `amenity=hospital`, `clinic`.
    Hospital,
    /// `place=square`, `leisure=park` with a name, pedestrian areas named plaza.
    Plaza,
    /// `amenity=place_of_worship`.
    Church,
    /// `shop=mall`.
    Mall,
    /// `amenity=bus_station`, `public_transport=station`.
    Terminal,
    /// A district or neighbourhood ("Yanahuara", "Cayma"): a place list's entries without a
    /// type.
    Area,
    /// Any other named place of a place list (a bank, a hotel, a police station).
    Other,
}

impl PlaceKind {
    /// Reads a node's or way's tags; `None` if it is none of these.
    pub fn of_tags<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> Option<PlaceKind> {
        let mut kind = None;
        for (k, v) in tags {
            let k2 = match (k, v) {
                ("amenity", "marketplace") | ("shop", "supermarket") => PlaceKind::Market,
                ("amenity", "school" | "kindergarten" | "college") => PlaceKind::School,
                ("amenity", "university") => PlaceKind::University,
                ("amenity", "hospital" | "clinic") => PlaceKind::Hospital,
                ("place", "square") | ("leisure", "park") => PlaceKind::Plaza,
                ("amenity", "place_of_worship") => PlaceKind::Church,
                ("shop", "mall") => PlaceKind::Mall,
                ("amenity", "bus_station") | ("public_transport", "station") => PlaceKind::Terminal,
                _ => continue,
            };
            kind = Some(k2);
        }
        kind
    }

    /// Its catalog key (`place.kind.*`) and the word used in answers.
    pub fn key(self) -> &'static str {
        match self {
            PlaceKind::Market => "market",
            PlaceKind::School => "school",
            PlaceKind::University => "university",
            PlaceKind::Hospital => "hospital",
            PlaceKind::Plaza => "plaza",
            PlaceKind::Church => "church",
            PlaceKind::Mall => "mall",
            PlaceKind::Terminal => "terminal",
            PlaceKind::Area => "area",
            PlaceKind::Other => "other",
        }
    }
}

/// A named place: at a node, or the middle of a way's nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct Poi {
    /// Its name.
    pub name: String,
    /// What it is.
    pub kind: PlaceKind,
    /// Where: a node's position, or resolved from `nodes`.
    pub pos: Option<Pos>,
    /// A way's nodes (a building or a square), when it is not a node.
    pub nodes: Vec<i64>,
}

/// An extract, as kept.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extract {
    /// Every node's position, sorted by id.
    pub nodes: Vec<(i64, Pos)>,
    /// Ways walked or drawn.
    pub ways: Vec<Way>,
    /// Parks and water.
    pub areas: Vec<Area>,
    /// Named places.
    pub pois: Vec<Poi>,
}

impl Extract {
    /// A node's position.
    pub fn pos(&self, id: i64) -> Option<Pos> {
        self.nodes
            .binary_search_by_key(&id, |(i, _)| *i)
            .ok()
            .map(|i| self.nodes[i].1)
    }

    /// Joins another extract (a neighbouring city's, or an overlapping one): nodes present
    /// in both are kept once.
    pub fn merge(mut self, other: Extract) -> Extract {
        self.nodes.extend(other.nodes);
        self.nodes.sort_unstable_by_key(|(id, _)| *id);
        self.nodes.dedup_by_key(|(id, _)| *id);
        self.ways.extend(other.ways);
        self.areas.extend(other.areas);
        self.pois.extend(other.pois);
        self
    }

    /// A node's index in `nodes`.
    pub fn node_index(&self, id: i64) -> Option<usize> {
        self.nodes.binary_search_by_key(&id, |(i, _)| *i).ok()
    }
}

/// Reads a way's tags into what walkers and the map need; `None` if it is neither.
pub fn classify_way<'a>(
    tags: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> Option<(RoadClass, Access)> {
    let get = |key: &str| tags.clone().find(|(k, _)| *k == key).map(|(_, v)| v);
    let class = RoadClass::of_highway(get("highway")?)?;
    if matches!(get("area"), Some("yes")) && class != RoadClass::Pedestrian {
        return None;
    }
    // Motorways are not for walkers; every other road is, pavement or not (as OSM's
    // defaults for Peru and Brazil say), unless `foot` or `access` says otherwise.
    let allowed = |v: &str| {
        matches!(
            v,
            "yes" | "designated" | "permissive" | "official" | "destination"
        )
    };
    let walk = match (get("foot"), get("access")) {
        (Some(f), _) => allowed(f),
        (None, Some("no" | "private")) => false,
        _ => class != RoadClass::Motorway,
    };
    let stairs = class == RoadClass::Steps;
    let wheelchair = get("wheelchair");
    let no_wheelchair = matches!(wheelchair, Some("no"))
        || (stairs && !matches!(wheelchair, Some("yes" | "ramp" | "limited")));
    let crossing = get("footway") == Some("crossing") || get("highway") == Some("crossing");
    Some((
        class,
        Access {
            walk,
            stairs,
            no_wheelchair,
            crossing,
        },
    ))
}

/// Reads a closed way's tags as an area; `None` if the map does not draw it.
pub fn classify_area<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> Option<AreaKind> {
    let mut kind = None;
    for (k, v) in tags {
        match (k, v) {
            ("leisure", "park" | "garden" | "playground" | "pitch")
            | ("landuse", "grass" | "recreation_ground" | "village_green" | "forest")
            | ("natural", "wood" | "scrub" | "grassland")
            | ("place", "square") => kind = kind.or(Some(AreaKind::Park)),
            ("natural", "water") | ("waterway", "riverbank") | ("landuse", "reservoir") => {
                kind = Some(AreaKind::Water)
            }
            _ => {}
        }
    }
    kind
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags<'a>(t: &'a [(&'a str, &'a str)]) -> impl Iterator<Item = (&'a str, &'a str)> + Clone {
        t.iter().copied()
    }

    #[test]
    fn walkers_use_streets_and_paths_not_motorways_or_private_ways() {
        let walk = |t: &[(&str, &str)]| classify_way(tags(t)).map(|(_, a)| a.walk);
        assert_eq!(walk(&[("highway", "residential")]), Some(true));
        assert_eq!(walk(&[("highway", "footway")]), Some(true));
        assert_eq!(walk(&[("highway", "motorway")]), Some(false));
        assert_eq!(walk(&[("highway", "primary"), ("foot", "no")]), Some(false));
        assert_eq!(
            walk(&[("highway", "service"), ("access", "private")]),
            Some(false)
        );
        assert_eq!(
            walk(&[
                ("highway", "service"),
                ("access", "private"),
                ("foot", "yes")
            ]),
            Some(true)
        );
        // One-way streets are walked both ways: nothing here reads `oneway`.
        assert_eq!(
            walk(&[("highway", "primary"), ("oneway", "yes")]),
            Some(true)
        );
        assert_eq!(walk(&[("highway", "bus_stop")]), None);
        assert_eq!(walk(&[("building", "yes")]), None);
    }

    #[test]
    fn steps_are_stairs_closed_to_wheelchairs_unless_tagged_otherwise() {
        let a = |t: &[(&str, &str)]| classify_way(tags(t)).unwrap().1;
        let steps = a(&[("highway", "steps")]);
        assert!(steps.walk && steps.stairs && steps.no_wheelchair);
        let ramp = a(&[("highway", "steps"), ("wheelchair", "ramp")]);
        assert!(ramp.stairs && !ramp.no_wheelchair);
        assert!(a(&[("highway", "footway"), ("wheelchair", "no")]).no_wheelchair);
        assert!(a(&[("highway", "footway"), ("footway", "crossing")]).crossing);
    }

    #[test]
    fn places_and_areas_are_read_from_their_tags() {
        assert_eq!(
            PlaceKind::of_tags(tags(&[("amenity", "marketplace"), ("name", "San Camilo")])),
            Some(PlaceKind::Market)
        );
        assert_eq!(PlaceKind::of_tags(tags(&[("amenity", "bench")])), None);
        assert_eq!(
            classify_area(tags(&[("leisure", "park")])),
            Some(AreaKind::Park)
        );
        assert_eq!(
            classify_area(tags(&[("natural", "water")])),
            Some(AreaKind::Water)
        );
        assert_eq!(classify_area(tags(&[("building", "yes")])), None);
    }
}
