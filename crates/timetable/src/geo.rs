//! Coordinates, distances and the spatial index of stops.

use rstar::{AABB, PointDistance, RTree, RTreeObject};

/// Mean Earth radius in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A WGS84 coordinate, validated once at construction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coord {
    lat: f64,
    lon: f64,
}

/// Why a coordinate is not valid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoordError {
    /// Not a pair of numbers.
    #[error("`{0}` is not a coordinate; write it as lat,lon (for example -16.3989,-71.5350)")]
    Syntax(String),
    /// Numbers out of range.
    #[error("latitude must lie in [-90, 90] and longitude in [-180, 180], got {lat}, {lon}")]
    Range {
        /// latitude given
        lat: f64,
        /// longitude given
        lon: f64,
    },
}

impl Coord {
    /// A coordinate from latitude and longitude in degrees.
    pub fn new(lat: f64, lon: f64) -> Result<Coord, CoordError> {
        if lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon)
        {
            Ok(Coord { lat, lon })
        } else {
            Err(CoordError::Range { lat, lon })
        }
    }
    /// Parses `lat,lon`.
    pub fn parse(s: &str) -> Result<Coord, CoordError> {
        let (a, b) = s
            .split_once(',')
            .ok_or_else(|| CoordError::Syntax(s.to_string()))?;
        let lat: f64 = a
            .trim()
            .parse()
            .map_err(|_| CoordError::Syntax(s.to_string()))?;
        let lon: f64 = b
            .trim()
            .parse()
            .map_err(|_| CoordError::Syntax(s.to_string()))?;
        Coord::new(lat, lon)
    }
    /// Latitude in degrees.
    pub fn lat(self) -> f64 {
        self.lat
    }
    /// Longitude in degrees.
    pub fn lon(self) -> f64 {
        self.lon
    }
    /// Great-circle distance in metres (haversine).
    pub fn distance_m(self, other: Coord) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
    }
    /// The point on a sphere of Earth's radius, in metres: chord distances between these are
    /// within 0.01 % of great-circle distances below 10 km, anywhere on Earth.
    fn xyz(self) -> [f64; 3] {
        let (la, lo) = (self.lat.to_radians(), self.lon.to_radians());
        [
            EARTH_RADIUS_M * la.cos() * lo.cos(),
            EARTH_RADIUS_M * la.cos() * lo.sin(),
            EARTH_RADIUS_M * la.sin(),
        ]
    }
}

impl std::fmt::Display for Coord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.6},{:.6}", self.lat, self.lon)
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    xyz: [f64; 3],
    id: u32,
}

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 3]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_point(self.xyz)
    }
}

impl PointDistance for Entry {
    fn distance_2(&self, p: &[f64; 3]) -> f64 {
        let d = [self.xyz[0] - p[0], self.xyz[1] - p[1], self.xyz[2] - p[2]];
        d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
    }
}

/// A spatial index over points (stops), answering "what lies within r metres".
#[derive(Debug, Clone, Default)]
pub struct PointIndex {
    tree: RTree<Entry>,
    coords: Vec<Coord>,
}

impl PointIndex {
    /// Indexes the points; the `i`-th point is reported as `i`.
    pub fn new(points: &[Coord]) -> PointIndex {
        let entries = points
            .iter()
            .enumerate()
            .map(|(i, c)| Entry {
                xyz: c.xyz(),
                id: i as u32,
            })
            .collect();
        PointIndex {
            tree: RTree::bulk_load(entries),
            coords: points.to_vec(),
        }
    }

    /// Points within `radius_m` of `at`, as `(index, distance in metres)`, nearest first.
    pub fn within(&self, at: Coord, radius_m: f64) -> Vec<(u32, f64)> {
        let mut out = Vec::new();
        self.within_into(at, radius_m, &mut out);
        out
    }

    /// Like [`PointIndex::within`], reusing `out`.
    pub fn within_into(&self, at: Coord, radius_m: f64, out: &mut Vec<(u32, f64)>) {
        out.clear();
        // A chord is never longer than its arc, so a chord query of the same radius finds every
        // point whose great-circle distance is within it.
        for e in self
            .tree
            .locate_within_distance(at.xyz(), radius_m * radius_m)
        {
            let d = at.distance_m(self.coords[e.id as usize]);
            if d <= radius_m {
                out.push((e.id, d));
            }
        }
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    }

    /// The nearest point and its distance, if there is any point.
    pub fn nearest(&self, at: Coord) -> Option<(u32, f64)> {
        self.tree
            .nearest_neighbor(at.xyz())
            .map(|e| (e.id, at.distance_m(self.coords[e.id as usize])))
    }

    /// Heap bytes used, roughly.
    pub fn heap_bytes(&self) -> usize {
        // An R*-tree's nodes hold the entries plus about one envelope per few entries.
        self.tree.size() * (std::mem::size_of::<Entry>() + 16)
            + self.coords.capacity() * std::mem::size_of::<Coord>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_are_plausible() {
        // Plaza de Armas de Arequipa to Yanahuara viewpoint: about 1.3 km.
        let a = Coord::new(-16.3989, -71.5369).unwrap();
        let b = Coord::new(-16.3889, -71.5445).unwrap();
        let d = a.distance_m(b);
        assert!((1300.0..1450.0).contains(&d), "{d}");
        assert_eq!(a.distance_m(a), 0.0);
    }

    #[test]
    fn coordinates_are_validated() {
        assert!(Coord::parse("-16.39,-71.53").is_ok());
        assert!(Coord::parse(" -16.39 , -71.53 ").is_ok());
        assert!(matches!(
            Coord::parse("91,0"),
            Err(CoordError::Range { .. })
        ));
        assert!(matches!(
            Coord::parse("NaN,0"),
            Err(CoordError::Range { .. })
        ));
        assert!(matches!(Coord::parse("abc"), Err(CoordError::Syntax(_))));
        assert!(matches!(Coord::parse("1,2,3"), Err(CoordError::Syntax(_))));
    }

    #[test]
    fn index_finds_exactly_the_points_within_radius() {
        let base = Coord::new(-16.4, -71.5).unwrap();
        let pts: Vec<Coord> = (0..200)
            .map(|i| {
                Coord::new(
                    -16.4 + (i % 20) as f64 * 0.0003,
                    -71.5 + (i / 20) as f64 * 0.0003,
                )
                .unwrap()
            })
            .collect();
        let idx = PointIndex::new(&pts);
        for r in [0.0, 10.0, 50.0, 120.0, 400.0] {
            let got: Vec<u32> = {
                let mut v: Vec<u32> = idx.within(base, r).into_iter().map(|x| x.0).collect();
                v.sort();
                v
            };
            let want: Vec<u32> = (0..200u32)
                .filter(|&i| base.distance_m(pts[i as usize]) <= r)
                .collect();
            assert_eq!(got, want, "radius {r}");
        }
        assert_eq!(idx.nearest(base).map(|x| x.0), Some(0));
    }
}
