//! A small text format for writing timetables by hand in tests, as OTP's Raptor tests and
//! nigiri do:
//!
//! ```text
//! # stops are created on first use, 1 km apart (no generated footpaths) unless declared:
//! stop A -16.40,-71.50 wheelchair=no
//! route R1: A 08:00 B 08:05 C 08:10          # one scheduled trip of route R1
//! route R1 days=20261123 wheelchair=no: A 09:00 B 09:05/09:06 C 09:10
//! route R2 weekdays=mon-fri except=20261124 headsign=Centro: C 08:12 D[out] 08:20
//! freq R3 every 5m from 06:00 to 09:00: A 0:00 E 0:07    # offsets from the first stop
//! freq R4 every 10m from 06:00 to 07:00 inexact: E 0:00 F 0:04
//! transfer B C 2m        # transfers.txt type 2 from B to C (B B = changing at B)
//! forbid C C             # transfers.txt type 3
//! ```
//!
//! Stop flags: `X[out]` riders may only alight, `X[in]` only board. Times are `H:MM` or
//! `H:MM:SS`, hours past 24 allowed; `arr/dep` gives both. Durations: `90`, `30s`, `5m`, `1h`.
//! Trips run every day of 2026 and 2027 unless `days=`, `weekdays=` or `except=` say otherwise.

use crate::footpaths::{TransferKind, TransferSpec};
use crate::time::{parse_clock, parse_time};
use crate::*;

/// A line of the text that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TextError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses a timetable with the default [`BuildConfig`].
pub fn parse(src: &str) -> Result<Timetable, TextError> {
    parse_with(src, &BuildConfig::default())
}

/// Parses a timetable.
pub fn parse_with(src: &str, cfg: &BuildConfig) -> Result<Timetable, TextError> {
    let mut p = Parser::new();
    for (i, raw) in src.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        p.line(line).map_err(|message| TextError {
            line: i + 1,
            message,
        })?;
    }
    let mut w = Warnings::default();
    Ok(p.b.build(cfg, &mut w))
}

/// Parses a duration: `90`, `30s`, `5m`, `1h`.
pub fn parse_duration(s: &str) -> Result<Secs, String> {
    let (num, unit) = match s.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: u32 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 90, 30s, 5m or 1h"))?;
    let mult = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        _ => return Err(format!("unknown unit in `{s}`")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too long"))
}

struct Parser {
    b: TimetableBuilder,
    agency: AgencyIdx,
    feed: FeedIdx,
    trips: usize,
}

const BASE_LAT: f64 = -16.4;
const BASE_LON: f64 = -71.5;

impl Parser {
    fn new() -> Parser {
        let mut b = TimetableBuilder::new();
        let feed = b.add_feed(Feed {
            id: "test".into(),
            timezone: "America/Lima".into(),
            publisher: None,
            version: None,
            service_span: None,
            valid_until: None,
            estimated_times: false,
        });
        let agency = b
            .add_agency(Agency {
                feed,
                id: "agency".into(),
                name: "Agency".into(),
                url: String::new(),
                timezone: "America/Lima".into(),
            })
            .expect("first agency");
        Parser {
            b,
            agency,
            feed,
            trips: 0,
        }
    }

    fn stop(&mut self, name: &str) -> Result<StopIdx, String> {
        if let Some(s) = self.b.stop(name) {
            return Ok(s);
        }
        if name.is_empty() || name.contains(['[', ']', '/', ':', ',']) {
            return Err(format!("`{name}` is not a stop name"));
        }
        // Implicit stops lie 1.07 km apart on a line: too far for generated footpaths.
        let k = self.b.stops().len() as f64;
        let coord = Coord::new(BASE_LAT, BASE_LON + 0.01 * k).map_err(|e| e.to_string())?;
        self.add_stop(name, coord, Accessibility::Unknown)
    }

    fn add_stop(
        &mut self,
        name: &str,
        coord: Coord,
        wheelchair: Accessibility,
    ) -> Result<StopIdx, String> {
        self.b
            .add_stop(Stop {
                feed: self.feed,
                id: name.into(),
                name: name.into(),
                coord,
                parent_station: None,
                zone_id: None,
                code: None,
                wheelchair,
            })
            .map_err(|e| e.to_string())
    }

    fn route(&mut self, name: &str) -> RouteIdx {
        if let Some(r) = self.b.route(name) {
            return r;
        }
        self.b
            .add_route(Route {
                id: name.into(),
                agency: self.agency,
                short_name: name.into(),
                long_name: String::new(),
                route_type: 3,
                color: None,
                text_color: None,
            })
            .expect("new route id")
    }

    fn line(&mut self, line: &str) -> Result<(), String> {
        let (head, body) = match line.split_once(": ") {
            Some((h, b)) if h.starts_with("route ") || h.starts_with("freq ") => (h, Some(b)),
            _ => (line, None),
        };
        let words: Vec<&str> = head.split_whitespace().collect();
        match (words[0], body) {
            ("stop", None) => {
                let [_, name, coord, rest @ ..] = words.as_slice() else {
                    return Err("write `stop NAME LAT,LON [wheelchair=yes|no]`".into());
                };
                let coord = Coord::parse(coord).map_err(|e| e.to_string())?;
                let mut wc = Accessibility::Unknown;
                for opt in rest {
                    wc = match *opt {
                        "wheelchair=yes" => Accessibility::Yes,
                        "wheelchair=no" => Accessibility::No,
                        _ => return Err(format!("unknown stop option `{opt}`")),
                    };
                }
                if self.b.stop(name).is_some() {
                    return Err(format!("stop `{name}` declared after use or twice"));
                }
                self.add_stop(name, coord, wc)?;
                Ok(())
            }
            ("transfer" | "forbid", None) => {
                let (from, to, kind) = match words.as_slice() {
                    ["transfer", a, b, d] => (*a, *b, TransferKind::MinTime(parse_duration(d)?)),
                    ["forbid", a, b] => (*a, *b, TransferKind::Forbidden),
                    _ => return Err("write `transfer A B 2m` or `forbid A B`".into()),
                };
                let (from, to) = (self.stop(from)?, self.stop(to)?);
                self.b.add_transfer(TransferSpec { from, to, kind });
                Ok(())
            }
            ("route", Some(body)) => {
                let [_, name, opts @ ..] = words.as_slice() else {
                    return Err("write `route NAME: STOP TIME …`".into());
                };
                self.trip(name, opts, body, None)
            }
            ("freq", Some(body)) => {
                let [_, name, "every", hw, "from", start, "to", end, opts @ ..] = words.as_slice()
                else {
                    return Err(
                        "write `freq NAME every 5m from 06:00 to 09:00 [inexact]: STOP OFFSET …`"
                            .into(),
                    );
                };
                let window = (
                    parse_duration(hw)?,
                    parse_clock(start).map_err(|e| e.to_string())?,
                    parse_clock(end).map_err(|e| e.to_string())?,
                );
                self.trip(name, opts, body, Some(window))
            }
            _ => Err(format!("cannot read `{line}`")),
        }
    }

    fn trip(
        &mut self,
        route: &str,
        opts: &[&str],
        body: &str,
        freq: Option<(Secs, Secs, Secs)>,
    ) -> Result<(), String> {
        let route = self.route(route);
        self.trips += 1;
        let mut id = format!("T{}", self.trips);
        let mut headsign = None;
        let mut wheelchair = Accessibility::Unknown;
        let mut exact = true;
        let mut days: Option<Vec<Day>> = None;
        let mut weekdays = [true; 7];
        let mut except = Vec::new();
        for opt in opts {
            let (k, v) = opt.split_once('=').unwrap_or((opt, ""));
            match k {
                "id" => id = v.to_string(),
                "headsign" => headsign = Some(v.to_string()),
                "wheelchair" => {
                    wheelchair = match v {
                        "yes" => Accessibility::Yes,
                        "no" => Accessibility::No,
                        _ => return Err(format!("wheelchair=yes or no, not `{v}`")),
                    }
                }
                "inexact" if freq.is_some() => exact = false,
                "days" => days = Some(parse_days(v)?),
                "except" => except = parse_days(v)?,
                "weekdays" => {
                    weekdays = match v {
                        "all" => [true; 7],
                        "mon-fri" => [true, true, true, true, true, false, false],
                        "sat" => [false, false, false, false, false, true, false],
                        "sun" => [false, false, false, false, false, false, true],
                        "sat-sun" => [false, false, false, false, false, true, true],
                        _ => {
                            return Err(format!(
                                "weekdays=all, mon-fri, sat, sun or sat-sun, not `{v}`"
                            ));
                        }
                    }
                }
                _ => return Err(format!("unknown option `{opt}`")),
            }
        }
        let service = match days {
            Some(d) => ServiceDays::from_calendar([false; 7], Day(0), Day(-1), &d, &except),
            None => ServiceDays::from_calendar(
                weekdays,
                Day::parse("20260101").expect("date"),
                Day::parse("20271231").expect("date"),
                &[],
                &except,
            ),
        };
        let service = self.b.add_service(service);

        let toks: Vec<&str> = body.split_whitespace().collect();
        if !toks.len().is_multiple_of(2) {
            return Err("stops and times must alternate: `A 08:00 B 08:05`".into());
        }
        let mut stop_times = Vec::new();
        for pair in toks.chunks(2) {
            let (stop_tok, time_tok) = (pair[0], pair[1]);
            let (name, pickup, drop_off) = if let Some(n) = stop_tok.strip_suffix("[out]") {
                (n, false, true)
            } else if let Some(n) = stop_tok.strip_suffix("[in]") {
                (n, true, false)
            } else {
                (stop_tok, true, true)
            };
            let stop = self.stop(name)?;
            let t = |s: &str| -> Result<Secs, String> {
                if s.matches(':').count() == 2 {
                    parse_time(s)
                } else {
                    parse_clock(s)
                }
                .map_err(|e| e.to_string())
            };
            let (arrival, departure) = match time_tok.split_once('/') {
                Some((a, d)) => (t(a)?, t(d)?),
                None => (t(time_tok)?, t(time_tok)?),
            };
            stop_times.push(StopTimeSpec {
                stop,
                arrival,
                departure,
                pickup,
                drop_off,
            });
        }
        let trip = self
            .b
            .add_trip(TripSpec {
                id,
                route,
                service,
                headsign,
                short_name: None,
                direction: None,
                block_id: None,
                shape: None,
                wheelchair,
                stop_times,
            })
            .map_err(|e| e.to_string())?;
        if let Some((headway, start, end)) = freq {
            self.b
                .add_frequency(trip, start, end, headway, exact)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

fn parse_days(v: &str) -> Result<Vec<Day>, String> {
    v.split('+')
        .map(|d| Day::parse(d).ok_or_else(|| format!("`{d}` is not a date YYYYMMDD")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_guide_example() {
        let tt = parse(
            "route R1: A 08:00 B 08:05 C 08:10\n\
             route R2: C 08:12 D 08:20\n",
        )
        .unwrap();
        assert_eq!(tt.stops().len(), 4);
        assert_eq!(tt.patterns().len(), 2);
        let p = PatternIdx(0);
        assert_eq!(tt.pattern_stops(p).len(), 3);
        assert_eq!(tt.departures(p, 1), &[8 * 3600 + 5 * 60]);
        assert_eq!(tt.n_footpaths(), 0, "implicit stops are 1 km apart");
    }

    #[test]
    fn reports_bad_lines_with_their_number() {
        for (src, line) in [
            ("route R1: A 08:00 B", 1),
            ("\nroute R1: A 8h B 08:05", 2),
            ("stop A here", 1),
            ("route R1 colour=red: A 08:00 B 08:05", 1),
            ("freq R every 0m from 06:00 to 07:00: A 0:00 B 0:05", 1),
            ("route R1: A 08:10 B 08:05", 1),
            ("bogus", 1),
        ] {
            let err = parse(src).unwrap_err();
            assert_eq!(err.line, line, "{src}: {err}");
        }
    }
}
