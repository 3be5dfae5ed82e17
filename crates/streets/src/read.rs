//! Reads an `.osm.pbf` extract into an [`Extract`] with the `osmpbf` crate: blocks are
//! decoded in parallel (rayon), each into a partial extract, then joined and the nodes sorted.
//!
//! A hostile or broken file is an error naming the file, never a crash: the file's size is
//! capped before reading, and a decoder panic on malformed data is caught and reported.

use crate::extract::PlaceKind;
use crate::extract::{Area, Extract, Poi, Pos, Way, classify_area, classify_way};
use osmpbf::{BlobDecode, BlobReader, Element};
use rayon::prelude::*;
use std::path::Path;

/// Why an extract could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file is missing or unreadable.
    #[error("cannot read the OpenStreetMap extract {path}: {why}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
    /// Larger than allowed.
    #[error(
        "the OpenStreetMap extract {path} is {mib} MiB, more than the {limit} MiB allowed (walking.max_osm_mib)"
    )]
    TooLarge {
        /// The file.
        path: String,
        /// Its size.
        mib: u64,
        /// The cap.
        limit: u64,
    },
    /// Not a valid PBF file.
    #[error("{path} is not a valid OpenStreetMap PBF extract: {why}")]
    Malformed {
        /// The file.
        path: String,
        /// What the decoder said.
        why: String,
    },
}

/// One block's worth of an extract.
#[derive(Default)]
struct Part {
    nodes: Vec<(i64, Pos)>,
    ways: Vec<Way>,
    areas: Vec<Area>,
    pois: Vec<Poi>,
}

impl Part {
    fn join(mut self, other: Part) -> Part {
        self.nodes.extend(other.nodes);
        self.ways.extend(other.ways);
        self.areas.extend(other.areas);
        self.pois.extend(other.pois);
        self
    }
}

fn name_of<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> Option<String> {
    tags.filter(|(k, _)| *k == "name")
        .map(|(_, v)| v.trim().to_string())
        .find(|v| !v.is_empty())
}

fn read_element(part: &mut Part, e: Element<'_>) {
    match e {
        Element::DenseNode(n) => {
            let pos = Pos {
                lat: n.decimicro_lat(),
                lon: n.decimicro_lon(),
            };
            part.nodes.push((n.id(), pos));
            if let Some(kind) = PlaceKind::of_tags(n.tags())
                && let Some(name) = name_of(n.tags())
            {
                part.pois.push(Poi {
                    name,
                    kind,
                    pos: Some(pos),
                    nodes: Vec::new(),
                });
            }
        }
        Element::Node(n) => {
            let pos = Pos {
                lat: n.decimicro_lat(),
                lon: n.decimicro_lon(),
            };
            part.nodes.push((n.id(), pos));
            if let Some(kind) = PlaceKind::of_tags(n.tags())
                && let Some(name) = name_of(n.tags())
            {
                part.pois.push(Poi {
                    name,
                    kind,
                    pos: Some(pos),
                    nodes: Vec::new(),
                });
            }
        }
        Element::Way(w) => {
            let refs: Vec<i64> = w.refs().collect();
            if refs.len() < 2 {
                return;
            }
            let closed = refs.first() == refs.last() && refs.len() >= 4;
            if let Some((class, access)) = classify_way(w.tags()) {
                part.ways.push(Way {
                    nodes: refs.clone(),
                    name: name_of(w.tags()),
                    class,
                    access,
                });
            }
            if closed && let Some(kind) = classify_area(w.tags()) {
                part.areas.push(Area {
                    nodes: refs.clone(),
                    kind,
                    name: name_of(w.tags()),
                });
            }
            if let Some(kind) = PlaceKind::of_tags(w.tags())
                && let Some(name) = name_of(w.tags())
            {
                part.pois.push(Poi {
                    name,
                    kind,
                    pos: None,
                    nodes: refs,
                });
            }
        }
        Element::Relation(_) => {}
    }
}

/// Reads the extract at `path`, refusing files over `max_mib`.
pub fn read(path: &Path, max_mib: u64) -> Result<Extract, ReadError> {
    let shown = path.display().to_string();
    let io = |e: &dyn std::fmt::Display| ReadError::Io {
        path: shown.clone(),
        why: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(|e| io(&e))?;
    if !meta.is_file() {
        // Opening a named pipe blocks until someone writes to it; a device never ends.
        return Err(io(
            &"not a regular file (a device, a named pipe or a socket)",
        ));
    }
    let size = meta.len();
    if size > max_mib.saturating_mul(1 << 20) {
        return Err(ReadError::TooLarge {
            path: shown,
            mib: size >> 20,
            limit: max_mib,
        });
    }
    let malformed = |why: String| ReadError::Malformed {
        path: shown.clone(),
        why,
    };
    // osmpbf indexes into the file's string table and arrays as given; on data crafted to
    // break that it may panic. That is a malformed file, reported as such.
    let decoded = std::panic::catch_unwind(|| -> Result<Part, String> {
        let reader = BlobReader::from_path(path).map_err(|e| e.to_string())?;
        reader
            .par_bridge()
            .map(|blob| -> Result<Part, String> {
                let blob = blob.map_err(|e| e.to_string())?;
                let mut part = Part::default();
                if let BlobDecode::OsmData(block) = blob.decode().map_err(|e| e.to_string())? {
                    block.for_each_element(|e| read_element(&mut part, e));
                }
                Ok(part)
            })
            .try_reduce(Part::default, |a, b| Ok(a.join(b)))
    })
    .map_err(|_| malformed("the decoder stopped on malformed data".into()))?
    .map_err(malformed)?;
    let mut nodes = decoded.nodes;
    nodes.par_sort_unstable_by_key(|(id, _)| *id);
    nodes.dedup_by_key(|(id, _)| *id);
    let mut extract = Extract {
        nodes,
        ways: decoded.ways,
        areas: decoded.areas,
        pois: decoded.pois,
    };
    resolve_pois(&mut extract);
    Ok(extract)
}

/// Places given as ways get the middle of their nodes' positions.
pub fn resolve_pois(x: &mut Extract) {
    let positions: Vec<Option<Pos>> = x
        .pois
        .iter()
        .map(|p| {
            if p.pos.is_some() {
                return p.pos;
            }
            let pts: Vec<Pos> = p.nodes.iter().filter_map(|&id| x.pos(id)).collect();
            if pts.is_empty() {
                return None;
            }
            let n = pts.len() as i64;
            Some(Pos {
                lat: (pts.iter().map(|p| i64::from(p.lat)).sum::<i64>() / n) as i32,
                lon: (pts.iter().map(|p| i64::from(p.lon)).sum::<i64>() / n) as i32,
            })
        })
        .collect();
    for (p, pos) in x.pois.iter_mut().zip(positions) {
        p.pos = pos;
        p.nodes = Vec::new();
    }
    x.pois.retain(|p| p.pos.is_some());
}
