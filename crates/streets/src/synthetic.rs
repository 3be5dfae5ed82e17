//! A synthetic street grid for tests and benchmarks: `rows` east–west streets ("Calle 1", …)
//! crossing `cols` north–south avenues ("Avenida 1", …), `spacing_m` apart, every fifth
//! avenue a primary road, with a market at each tenth crossing.

use crate::extract::{Access, Extract, PlaceKind, Poi, Pos, RoadClass, Way};

/// A grid of `rows` × `cols` crossings `spacing_m` apart with its south-west corner at
/// (`lat0`, `lon0`).
pub fn grid(rows: usize, cols: usize, spacing_m: f64, lat0: f64, lon0: f64) -> Extract {
    let dlat = spacing_m / 111_195.0;
    let dlon = spacing_m / (111_195.0 * lat0.to_radians().cos());
    let id = |r: usize, c: usize| (r * cols + c) as i64 + 1;
    let nodes: Vec<(i64, Pos)> = (0..rows)
        .flat_map(|r| {
            (0..cols).map(move |c| {
                (
                    id(r, c),
                    Pos::from_degrees(lat0 + r as f64 * dlat, lon0 + c as f64 * dlon),
                )
            })
        })
        .collect();
    let walk = Access {
        walk: true,
        ..Access::default()
    };
    let mut ways: Vec<Way> = (0..rows)
        .map(|r| Way {
            nodes: (0..cols).map(|c| id(r, c)).collect(),
            name: Some(format!("Calle {}", r + 1)),
            class: RoadClass::Residential,
            access: walk,
        })
        .collect();
    ways.extend((0..cols).map(|c| Way {
        nodes: (0..rows).map(|r| id(r, c)).collect(),
        name: Some(format!("Avenida {}", c + 1)),
        class: if c % 5 == 0 {
            RoadClass::Primary
        } else {
            RoadClass::Residential
        },
        access: walk,
    }));
    let pois = (0..rows)
        .step_by(10)
        .flat_map(|r| (0..cols).step_by(10).map(move |c| (r, c)))
        .map(|(r, c)| Poi {
            name: format!("Mercado {}-{}", r + 1, c + 1),
            kind: PlaceKind::Market,
            pos: Some(nodes[r * cols + c].1),
            nodes: Vec::new(),
        })
        .collect();
    Extract {
        nodes,
        ways,
        areas: Vec::new(),
        pois,
    }
}
