//! Coarse places: a grid of square-ish cells (default 500 m) named `z:<row>:<col>`. Trips and
//! public incident maps use zones, never coordinates.

const M_PER_DEG: f64 = 111_320.0;

/// The zone holding a point, for cells of `cell_m` metres.
pub fn zone_of(lat: f64, lon: f64, cell_m: f64) -> String {
    let (row, col) = zone_cell(lat, lon, cell_m);
    format!("z:{row}:{col}")
}

/// The (row, column) of the zone holding a point: [`zone_of`] without the name.
pub fn zone_cell(lat: f64, lon: f64, cell_m: f64) -> (i64, i64) {
    let row = (lat * M_PER_DEG / cell_m).floor();
    // Columns are as wide in metres as rows are tall, at the row's middle latitude.
    let mid = (row + 0.5) * cell_m / M_PER_DEG;
    let col = (lon * M_PER_DEG * mid.to_radians().cos() / cell_m).floor();
    (row as i64, col as i64)
}

/// The (row, column) of a zone name, if it is one.
pub fn parse_zone(zone: &str) -> Option<(i64, i64)> {
    let mut parts = zone.strip_prefix("z:")?.split(':');
    let row = parts.next()?.parse().ok()?;
    let col = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((row, col))
}

/// The centre and the corners (south-west, north-east) of a zone, if the name is one.
pub fn zone_bounds(zone: &str, cell_m: f64) -> Option<[(f64, f64); 3]> {
    let mut parts = zone.strip_prefix("z:")?.split(':');
    let row: f64 = parts.next()?.parse().ok()?;
    let col: f64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !row.is_finite() || !col.is_finite() {
        return None;
    }
    let south = row * cell_m / M_PER_DEG;
    let north = (row + 1.0) * cell_m / M_PER_DEG;
    let mid = (row + 0.5) * cell_m / M_PER_DEG;
    let scale = M_PER_DEG * mid.to_radians().cos() / cell_m;
    let west = col / scale;
    let east = (col + 1.0) / scale;
    Some([(mid, (west + east) / 2.0), (south, west), (north, east)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_lies_in_its_zone_and_cells_are_about_the_size_asked() {
        for (lat, lon) in [(-16.3989, -71.5369), (-8.1116, -79.0288), (-23.55, -46.63)] {
            let z = zone_of(lat, lon, 500.0);
            let [c, sw, ne] = zone_bounds(&z, 500.0).unwrap();
            assert!(sw.0 <= lat && lat < ne.0, "{z}");
            assert!(sw.1 <= lon && lon < ne.1, "{z}");
            assert_eq!(zone_of(c.0, c.1, 500.0), z);
            let h = (ne.0 - sw.0) * M_PER_DEG;
            let w = (ne.1 - sw.1) * M_PER_DEG * c.0.to_radians().cos();
            assert!(
                (h - 500.0).abs() < 1.0 && (w - 500.0).abs() < 5.0,
                "{h} × {w}"
            );
        }
        // 300 m apart: usually the same or a neighbouring cell, never far.
        assert_ne!(
            zone_of(-16.40, -71.53, 500.0),
            zone_of(-16.41, -71.53, 500.0)
        );
        assert_eq!(zone_bounds("nope", 500.0), None);
        assert_eq!(zone_bounds("z:1:2:3", 500.0), None);
    }
}
