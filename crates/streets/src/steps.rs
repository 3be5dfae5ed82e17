//! A walk's geometry and its turn-by-turn steps: consecutive stretches of one street (or one
//! kind of unnamed way: a footpath, steps, a crossing) become one step, with the turn taken to
//! enter it.

use crate::extract::RoadClass;
use crate::graph::{Graph, flags, planar};
use crate::search::Route;
use timetable::Coord;

/// The turn that starts a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turn {
    /// The first step.
    Depart,
    /// Keep going.
    Straight,
    /// Bear left.
    SlightLeft,
    /// Bear right.
    SlightRight,
    /// Turn left.
    Left,
    /// Turn right.
    Right,
    /// Turn sharply left.
    SharpLeft,
    /// Turn sharply right.
    SharpRight,
    /// Turn back.
    UTurn,
}

impl Turn {
    /// From the change of heading, degrees clockwise in (-180, 180].
    pub fn of_change(deg: f64) -> Turn {
        let a = deg.abs();
        let right = deg > 0.0;
        match a {
            a if a < 25.0 => Turn::Straight,
            a if a < 60.0 => pick(right, Turn::SlightRight, Turn::SlightLeft),
            a if a < 135.0 => pick(right, Turn::Right, Turn::Left),
            a if a < 170.0 => pick(right, Turn::SharpRight, Turn::SharpLeft),
            _ => Turn::UTurn,
        }
    }

    /// Its catalog key (`walk.turn.*`).
    pub fn key(self) -> &'static str {
        match self {
            Turn::Depart => "depart",
            Turn::Straight => "straight",
            Turn::SlightLeft => "slight_left",
            Turn::SlightRight => "slight_right",
            Turn::Left => "left",
            Turn::Right => "right",
            Turn::SharpLeft => "sharp_left",
            Turn::SharpRight => "sharp_right",
            Turn::UTurn => "uturn",
        }
    }
}

fn pick(right: bool, r: Turn, l: Turn) -> Turn {
    if right { r } else { l }
}

/// One step of a walk.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The turn that starts it.
    pub turn: Turn,
    /// The street's name, if it has one.
    pub street: Option<String>,
    /// The kind of way (for unnamed ways: "the footpath", "the steps").
    pub class: RoadClass,
    /// Up or down steps.
    pub stairs: bool,
    /// Across a street.
    pub crossing: bool,
    /// Length, metres.
    pub distance_m: u32,
    /// Where it starts.
    pub at: Coord,
}

/// A walk along the streets.
#[derive(Clone, Debug, PartialEq)]
pub struct Walk {
    /// Its line, from start to end.
    pub points: Vec<Coord>,
    /// Its steps.
    pub steps: Vec<Step>,
    /// Length, metres.
    pub distance_m: u32,
}

/// The part of edge `e` from offset `o1` to `o2` (decimetres from `a`), in walking order,
/// appended to `out`.
fn cut(g: &Graph, e: u32, o1: u32, o2: u32, out: &mut Vec<Coord>) {
    let pts = g.geometry(e);
    let (lo, hi) = (o1.min(o2), o1.max(o2));
    let first = out.len();
    if lo == 0 && hi >= g.edges[e as usize].len_dm {
        // The whole edge: its points as they are, nothing to measure.
        out.extend_from_slice(pts);
    } else {
        let mut at = 0.0;
        for w in pts.windows(2) {
            let seg = w[0].distance_m(w[1]) * 10.0;
            let (s, t) = (at, at + seg);
            let lerp = |x: f64| {
                let f = if seg > 0.0 {
                    ((x - s) / seg).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                Coord::new(
                    w[0].lat() + (w[1].lat() - w[0].lat()) * f,
                    w[0].lon() + (w[1].lon() - w[0].lon()) * f,
                )
                .unwrap_or(w[0])
            };
            if t >= f64::from(lo) && s <= f64::from(hi) {
                if out.len() == first {
                    out.push(lerp(f64::from(lo).max(s)));
                }
                out.push(lerp(f64::from(hi).min(t)));
            }
            at = t;
        }
    }
    if o1 > o2 {
        out[first..].reverse();
    }
    // Repeated points within the piece go (as `dedup` would, on its part only).
    let mut keep = first;
    for i in first..out.len() {
        if i == first || out[i] != out[keep - 1] {
            out[keep] = out[i];
            keep += 1;
        }
    }
    out.truncate(keep);
}

/// One stretch of an edge, in walking order: its points are `buf[start..end]`.
struct Piece {
    edge: u32,
    start: usize,
    end: usize,
    len_dm: u32,
}

/// The stretches of a route, their points in one buffer (no allocation per edge).
fn pieces(g: &Graph, r: &Route) -> (Vec<Piece>, Vec<Coord>) {
    let mut buf: Vec<Coord> = Vec::with_capacity(4 * (r.edges.len() + 2));
    let mut out: Vec<Piece> = Vec::with_capacity(r.edges.len() + 2);
    let mut piece = |e: u32, o1: u32, o2: u32| {
        let start = buf.len();
        cut(g, e, o1, o2, &mut buf);
        let len_dm = o1.abs_diff(o2);
        if len_dm > 0 && buf.len() - start >= 2 {
            out.push(Piece {
                edge: e,
                start,
                end: buf.len(),
                len_dm,
            });
        } else {
            buf.truncate(start);
        }
    };
    match r.via {
        None => piece(r.from.edge, r.from.offset_dm, r.to.offset_dm),
        Some((leave, join)) => {
            let end_of =
                |s: &crate::snap::Snap, v: u32| g.edges[s.edge as usize].end_offset(v, s.offset_dm);
            piece(r.from.edge, r.from.offset_dm, end_of(&r.from, leave));
            for &(e, forward) in &r.edges {
                let len = g.edges[e as usize].len_dm;
                if forward {
                    piece(e, 0, len);
                } else {
                    piece(e, len, 0);
                }
            }
            piece(r.to.edge, end_of(&r.to, join), r.to.offset_dm);
        }
    }
    (out, buf)
}

fn heading(a: Coord, b: Coord, cos_lat0: f64) -> f64 {
    let (p, q) = (planar(a, cos_lat0), planar(b, cos_lat0));
    (q[0] - p[0]).atan2(q[1] - p[1]).to_degrees()
}

/// The same step: one street, or one kind of unnamed way.
fn same_way(g: &Graph, a: u32, b: u32) -> bool {
    let (ea, eb) = (&g.edges[a as usize], &g.edges[b as usize]);
    let special = flags::STAIRS | flags::CROSSING;
    ea.flags & special == eb.flags & special
        && ea.name == eb.name
        && (ea.name != crate::graph::NO_NAME || ea.class.key() == eb.class.key())
}

/// Steps shorter than this (metres) fold into their neighbour, unless they are steps or a
/// crossing: a few metres of an unnamed link between two blocks of one street say nothing.
const SHORT_M: u32 = 8;

/// The walk of a route: its line and its steps.
pub fn walk(g: &Graph, r: &Route) -> Walk {
    let cos_lat0 = r.from.at.lat().to_radians().cos();
    let (ps, buf) = pieces(g, r);
    let pts = |p: &Piece| &buf[p.start..p.end];
    let mut points: Vec<Coord> = Vec::with_capacity(buf.len() + 2);
    points.push(r.from.at);
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for (i, p) in ps.iter().enumerate() {
        points.extend(pts(p).iter().skip(1));
        match groups.last_mut() {
            Some(last) if same_way(g, ps[last.0].edge, p.edge) => last.1 = i + 1,
            _ => groups.push((i, i + 1)),
        }
    }
    points.push(r.to.at);
    points.dedup();
    let len = |(s, e): (usize, usize)| ps[s..e].iter().map(|p| p.len_dm).sum::<u32>() / 10;
    // Fold short plain stretches into the step before them (or after, for the first).
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for gr in groups {
        let e = &g.edges[ps[gr.0].edge as usize];
        let plain = e.flags & (flags::STAIRS | flags::CROSSING) == 0;
        match merged.last_mut() {
            Some(last) if plain && len(gr) < SHORT_M => last.1 = gr.1,
            _ => merged.push(gr),
        }
    }
    if merged.len() > 1 && len(merged[0]) < SHORT_M {
        let first = merged.remove(0);
        merged[0].0 = first.0;
    }
    let mut steps = Vec::with_capacity(merged.len());
    for (k, &(s, e)) in merged.iter().enumerate() {
        let edge = &g.edges[ps[s].edge as usize];
        let start = pts(&ps[s]);
        let turn = if k == 0 {
            Turn::Depart
        } else {
            let prev = pts(&ps[s - 1]);
            let before = heading(prev[prev.len() - 2], prev[prev.len() - 1], cos_lat0);
            let after = heading(start[0], start[1], cos_lat0);
            let mut d = after - before;
            while d > 180.0 {
                d -= 360.0;
            }
            while d <= -180.0 {
                d += 360.0;
            }
            Turn::of_change(d)
        };
        steps.push(Step {
            turn,
            street: g.name(ps[s].edge).map(str::to_string),
            class: edge.class,
            stairs: edge.flags & flags::STAIRS != 0,
            crossing: edge.flags & flags::CROSSING != 0,
            distance_m: len((s, e)).max(1),
            at: start[0],
        });
    }
    Walk {
        points,
        steps,
        distance_m: (r.len_dm + 5) / 10,
    }
}
