//! `shapes.txt`: the lines buses draw on the map.

use super::ns;
use crate::table::Table;
use crate::{GtfsError, Warnings};
use std::collections::HashMap;
use timetable::*;

pub(crate) fn read(
    b: &mut TimetableBuilder,
    t: &Table,
    feed_id: &str,
    w: &mut Warnings,
) -> Result<(), GtfsError> {
    let (c_id, c_lat, c_lon, c_seq, c_dist) = (
        t.required("shape_id")?,
        t.required("shape_pt_lat")?,
        t.required("shape_pt_lon")?,
        t.required("shape_pt_sequence")?,
        t.col("shape_dist_traveled"),
    );
    type Point = (u32, Coord, Option<f32>);
    let mut by_id: HashMap<&str, Vec<Point>> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for row in t.rows() {
        let Some(id) = row.get(c_id) else { continue };
        let seq = row.get(c_seq).and_then(|v| v.parse::<u32>().ok());
        let lat = row.get(c_lat).and_then(|v| v.parse::<f64>().ok());
        let lon = row.get(c_lon).and_then(|v| v.parse::<f64>().ok());
        let (Some(seq), Some(coord)) = (seq, lat.zip(lon).and_then(|(a, o)| Coord::new(a, o).ok()))
        else {
            w.push("shape_bad_point", || {
                format!(
                    "{}: shape point without valid coordinates or sequence; point skipped",
                    t.at(row)
                )
            });
            continue;
        };
        let dist = row.get(c_dist).and_then(|v| v.parse::<f32>().ok());
        let e = by_id.entry(id).or_insert_with(|| {
            order.push(id);
            Vec::new()
        });
        e.push((seq, coord, dist));
    }
    for id in order {
        let mut pts = by_id.remove(id).unwrap_or_default();
        pts.sort_by_key(|p| p.0);
        let dist = pts.iter().map(|p| p.2).collect::<Option<Vec<f32>>>();
        let shape = Shape {
            id: ns(feed_id, id),
            points: pts.into_iter().map(|p| p.1).collect(),
            dist,
        };
        if let Err(e) = b.add_shape(shape) {
            w.push("duplicate_id", || format!("{feed_id}/shapes.txt: {e}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::testing::{build, table};

    #[test]
    fn points_follow_their_sequence_and_bad_points_are_skipped() {
        let mut b = TimetableBuilder::new();
        let t = table(
            "shapes.txt",
            "shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n\
             s,-16.3,-71.5,3\ns,-16.1,-71.5,1\ns,-16.2,-71.5,2\ns,x,-71.5,4\n",
        );
        let mut w = Warnings::default();
        read(&mut b, &t, "f", &mut w).unwrap();
        let s = b.shape("f:s").unwrap();
        let tt = build(b);
        let lats: Vec<f64> = tt.shape(s).points.iter().map(|c| c.lat()).collect();
        assert_eq!(lats.len(), 3);
        assert!(lats[0] > lats[1] && lats[1] > lats[2], "{lats:?}");
        assert_eq!(tt.shape(s).dist, None, "no distances given");
        assert_eq!(w.count("shape_bad_point"), 1);
    }
}
