//! Checks that a journey is real: every ride boards a run that operates that day and stops
//! where the journey says, at the timetable's times; every walk is a footpath or an
//! access/egress walk within the limits; and the times chain with the transfer rules.

use raptor::{Journey, Leg, Options, Place, Request, Wheelchair};
use timetable::{Accessibility, DAY, SameStopTransfer, StopIdx, Timetable, flags};

fn wheel_ok(w: Wheelchair, a: Accessibility) -> bool {
    match w {
        Wheelchair::Off => true,
        Wheelchair::Accessible => a != Accessibility::No,
        Wheelchair::Strict => a == Accessibility::Yes,
    }
}

/// `Ok` if the journey is feasible for the request, else what is wrong.
pub fn validate(
    tt: &Timetable,
    req: &Request<'_>,
    opts: &Options,
    j: &Journey,
) -> Result<(), String> {
    if j.legs.is_empty() {
        return Err("no legs".into());
    }
    let mut prev_arrival: Option<i32> = None;
    // How the rider reached the current stop: after a ride (same-stop rule applies) or a walk.
    let mut after: Option<(StopIdx, bool, bool)> = None; // (stop, by_ride, explicit_walk)
    let mut rides = 0;
    let mut walked = 0u32;
    for (li, leg) in j.legs.iter().enumerate() {
        match *leg {
            Leg::Walk {
                from,
                to,
                departure,
                arrival,
                distance_m,
                explicit,
            } => {
                walked += distance_m;
                let secs = (arrival - departure) as u32;
                if let Some(p) = prev_arrival
                    && departure < p
                {
                    return Err(format!(
                        "leg {li}: walk leaves at {departure} before arriving at {p}"
                    ));
                }
                match (from, to) {
                    (Place::Origin, Place::Stop(s)) => {
                        if !req.access.iter().any(|a| a.stop == s && a.duration == secs) {
                            return Err(format!(
                                "leg {li}: access walk to {s} of {secs} s not offered"
                            ));
                        }
                        if !req.arrive_by && departure < req.time {
                            return Err(format!("leg {li}: leaves before the query time"));
                        }
                        after = Some((s, false, true));
                    }
                    (Place::Stop(s), Place::Destination) => {
                        if !req.egress.iter().any(|a| a.stop == s && a.duration == secs) {
                            return Err(format!(
                                "leg {li}: egress walk from {s} of {secs} s not offered"
                            ));
                        }
                        if li != j.legs.len() - 1 {
                            return Err("egress is not the last leg".into());
                        }
                    }
                    (Place::Stop(a), Place::Stop(b)) => {
                        let Some(f) = tt.footpaths(a).iter().find(|f| f.to == b) else {
                            return Err(format!("leg {li}: no footpath {a} -> {b}"));
                        };
                        if f.distance_m > opts.max_walk_leg_m
                            || f.distance_m != distance_m
                            || f.explicit != explicit
                        {
                            return Err(format!(
                                "leg {li}: footpath {a} -> {b} does not match {f:?}"
                            ));
                        }
                        if opts.walking_speed_m_s.is_none() && secs != f.duration {
                            return Err(format!(
                                "leg {li}: walk takes {secs} s, footpath says {}",
                                f.duration
                            ));
                        }
                        after = Some((b, false, explicit || rides == 0));
                    }
                    other => return Err(format!("leg {li}: impossible walk {other:?}")),
                }
                prev_arrival = Some(arrival);
            }
            Leg::Ride(r) => {
                rides += 1;
                let p = r.pattern;
                let stops = tt.pattern_stops(p);
                let fl = tt.pattern_flags(p);
                let (bp, ap) = (r.board_pos as usize, r.alight_pos as usize);
                if bp >= ap
                    || ap >= stops.len()
                    || stops[bp] != r.board_stop
                    || stops[ap] != r.alight_stop
                {
                    return Err(format!(
                        "leg {li}: positions {bp}->{ap} do not match the pattern"
                    ));
                }
                if fl[bp] & flags::PICKUP == 0 || fl[ap] & flags::DROP_OFF == 0 {
                    return Err(format!("leg {li}: boarding or alighting not allowed there"));
                }
                if !wheel_ok(opts.wheelchair, tt.stop_wheelchair(r.board_stop))
                    || !wheel_ok(opts.wheelchair, tt.stop_wheelchair(r.alight_stop))
                {
                    return Err(format!("leg {li}: stop not accessible"));
                }
                let day = req.day.offset(i32::from(r.run.day_offset));
                let base = i32::from(r.run.day_offset) * DAY as i32;
                let (dep, arr, ready, trip_wc) = if r.run.frequency {
                    let w = tt
                        .windows(p)
                        .get(r.run.index as usize)
                        .ok_or("no such window")?;
                    if !tt.service_active(w.service, day) {
                        return Err(format!("leg {li}: window not running on {day}"));
                    }
                    if r.run.start < w.start
                        || r.run.start >= w.end
                        || (w.exact && (r.run.start - w.start) % w.headway != 0)
                    {
                        return Err(format!(
                            "leg {li}: run start {} is not a run of {w:?}",
                            r.run.start
                        ));
                    }
                    let ready_start = if w.exact || r.run.start == w.start {
                        r.run.start
                    } else {
                        r.run.start - w.headway
                    };
                    (
                        (r.run.start + tt.departure(p, bp, 0)) as i32 + base,
                        (r.run.start + tt.arrival(p, ap, 0)) as i32 + base,
                        (ready_start + tt.departure(p, bp, 0)) as i32 + base,
                        tt.trip(w.trip).wheelchair,
                    )
                } else {
                    let c = r.run.index as usize;
                    let svc = *tt.pattern_trip_services(p).get(c).ok_or("no such trip")?;
                    if !tt.service_active(svc, day) {
                        return Err(format!("leg {li}: trip not running on {day}"));
                    }
                    let d = tt.departure(p, bp, c) as i32 + base;
                    (
                        d,
                        tt.arrival(p, ap, c) as i32 + base,
                        d,
                        tt.pattern_trip_wheelchair(p)[c],
                    )
                };
                if !wheel_ok(opts.wheelchair, trip_wc) {
                    return Err(format!("leg {li}: trip not accessible"));
                }
                if (dep, arr, ready) != (r.departure, r.arrival, r.ready) {
                    return Err(format!(
                        "leg {li}: times {:?} differ from the timetable's {:?}",
                        (r.departure, r.arrival, r.ready),
                        (dep, arr, ready)
                    ));
                }
                // The rider must be at the stop in time, with the transfer rules.
                let earliest = match (after, prev_arrival) {
                    (None, _) => {
                        if !req
                            .access
                            .iter()
                            .any(|a| a.stop == r.board_stop && a.duration == 0)
                        {
                            return Err(format!(
                                "leg {li}: journey starts at a stop that is not the origin"
                            ));
                        }
                        if req.arrive_by { i32::MIN } else { req.time }
                    }
                    (Some((s, by_ride, explicit)), Some(t)) => {
                        if s != r.board_stop {
                            return Err(format!(
                                "leg {li}: boards at {} but the rider is at {s}",
                                r.board_stop
                            ));
                        }
                        if by_ride {
                            match tt.same_stop_transfer(s) {
                                SameStopTransfer::Default => t + opts.transfer_slack as i32,
                                SameStopTransfer::MinTime(m) => t + m as i32,
                                SameStopTransfer::Forbidden => {
                                    return Err(format!("leg {li}: transfer forbidden at {s}"));
                                }
                            }
                        } else if explicit {
                            t
                        } else {
                            t + opts.transfer_slack as i32
                        }
                    }
                    (Some(_), None) => unreachable!("a walk always sets the arrival"),
                };
                if ready < earliest {
                    return Err(format!(
                        "leg {li}: must be at the stop at {ready} but can only be there at {earliest}"
                    ));
                }
                prev_arrival = Some(arr);
                after = Some((r.alight_stop, true, false));
            }
        }
    }
    if rides != j.rides as usize {
        return Err("ride count differs".into());
    }
    if rides > usize::from(opts.max_transfers) + 1 {
        return Err("too many rides".into());
    }
    if walked > opts.max_walk_total_m {
        return Err("too much walking".into());
    }
    let last = prev_arrival.unwrap_or(i32::MIN);
    if last != j.arrival {
        return Err(format!(
            "journey arrival {} is not the last leg's {last}",
            j.arrival
        ));
    }
    if req.arrive_by && j.arrival > req.time {
        return Err(format!(
            "arrives at {} after the arrive-by time {}",
            j.arrival, req.time
        ));
    }
    // The destination must be reached: an egress walk, or the last stop with a zero walk.
    match j.legs.last() {
        Some(Leg::Walk {
            to: Place::Destination,
            ..
        }) => {}
        Some(Leg::Ride(r))
            if req
                .egress
                .iter()
                .any(|e| e.stop == r.alight_stop && e.duration == 0) => {}
        Some(Leg::Walk {
            to: Place::Stop(s), ..
        }) if req.egress.iter().any(|e| e.stop == *s && e.duration == 0) => {}
        _ => return Err("does not end at the destination".into()),
    }
    Ok(())
}
