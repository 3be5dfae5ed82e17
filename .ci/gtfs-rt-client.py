"""GTFS-Realtime out, read by an outside, maintained reader: Google's `gtfs-realtime-bindings`
(PyPI). Parses paradero's three feeds (for one feed, with that feed's own ids) and checks
them against the static GTFS the server loaded: every trip, route, stop and agency id
exists, times never go back along a trip, and the timestamps are fresh. Also checks the
conditional GET (ETag → 304) and that the JSON form says the same.

Usage: gtfs-rt-client.py BASE_URL FEED_ID STATIC_ZIP [--want-vehicles N] [--want-alerts N]
"""

import csv
import io
import json
import sys
import time
import urllib.error
import urllib.request
import zipfile

from google.transit import gtfs_realtime_pb2


def static_ids(path):
    """The ids of the static feed, as its files give them."""
    ids = {}
    with zipfile.ZipFile(path) as z:
        names = {n.rsplit("/", 1)[-1]: n for n in z.namelist()}
        for file, col in [("trips.txt", "trip_id"), ("routes.txt", "route_id"),
                          ("stops.txt", "stop_id"), ("agency.txt", "agency_id")]:
            with z.open(names[file]) as f:
                rows = csv.DictReader(io.TextIOWrapper(f, encoding="utf-8-sig"))
                ids[col] = {r.get(col, "") for r in rows}
    return ids


def fetch(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def main():
    base, feed, static = sys.argv[1], sys.argv[2], sys.argv[3]
    want_vehicles = int(sys.argv[sys.argv.index("--want-vehicles") + 1]) if "--want-vehicles" in sys.argv else 0
    want_alerts = int(sys.argv[sys.argv.index("--want-alerts") + 1]) if "--want-alerts" in sys.argv else 0
    ids = static_ids(static)
    # The agency ids paradero namespaces are the file's, or its row number when it has none.
    problems = []
    now = time.time()
    counts = {}
    for kind in ["trip-updates", "vehicle-positions", "alerts"]:
        url = f"{base}/gtfs-rt/{kind}?feed={feed}"
        status, headers, body = fetch(url)
        if status != 200 or "protobuf" not in headers.get("Content-Type", headers.get("content-type", "")):
            problems.append(f"{kind}: status {status}, type {headers.get('Content-Type')}")
            continue
        msg = gtfs_realtime_pb2.FeedMessage()
        msg.ParseFromString(body)
        if msg.header.gtfs_realtime_version != "2.0":
            problems.append(f"{kind}: version {msg.header.gtfs_realtime_version}")
        if msg.header.incrementality != gtfs_realtime_pb2.FeedHeader.FULL_DATASET:
            problems.append(f"{kind}: not a full dataset")
        if abs(now - msg.header.timestamp) > 60:
            problems.append(f"{kind}: header timestamp {msg.header.timestamp} is not fresh (now {now:.0f})")
        seen_ids = set()
        for e in msg.entity:
            if e.id in seen_ids:
                problems.append(f"{kind}: entity id {e.id} twice")
            seen_ids.add(e.id)
            if e.HasField("trip_update"):
                tu = e.trip_update
                if tu.trip.trip_id not in ids["trip_id"]:
                    problems.append(f"{kind}: unknown trip {tu.trip.trip_id}")
                if tu.trip.route_id and tu.trip.route_id not in ids["route_id"]:
                    problems.append(f"{kind}: unknown route {tu.trip.route_id}")
                if len(tu.trip.start_date) != 8:
                    problems.append(f"{kind}: trip {tu.trip.trip_id} without start_date")
                last = None
                for s in tu.stop_time_update:
                    if s.stop_id not in ids["stop_id"]:
                        problems.append(f"{kind}: unknown stop {s.stop_id}")
                    for ev in (s.arrival, s.departure):
                        if ev.time:
                            if last is not None and ev.time < last:
                                problems.append(f"{kind}: trip {tu.trip.trip_id} goes back in time at {s.stop_id}")
                            last = ev.time
            if e.HasField("vehicle"):
                v = e.vehicle
                if v.trip.route_id not in ids["route_id"]:
                    problems.append(f"{kind}: unknown route {v.trip.route_id}")
                if v.trip.trip_id and v.trip.trip_id not in ids["trip_id"]:
                    problems.append(f"{kind}: unknown trip {v.trip.trip_id}")
                if not (-90 <= v.position.latitude <= 90 and -180 <= v.position.longitude <= 180):
                    problems.append(f"{kind}: position off the Earth")
                if now - v.timestamp > 300 or v.timestamp > now + 60:
                    problems.append(f"{kind}: vehicle {e.id} seen at {v.timestamp}, not fresh")
                if v.vehicle.id or v.vehicle.label:
                    problems.append(f"{kind}: a vehicle's code is published ({v.vehicle.id or v.vehicle.label})")
            if e.HasField("alert"):
                a = e.alert
                if not any(t.language == "es" and t.text for t in a.header_text.translation):
                    problems.append(f"{kind}: alert {e.id} without a Spanish header")
                for sel in a.informed_entity:
                    if sel.route_id and sel.route_id not in ids["route_id"]:
                        problems.append(f"{kind}: alert names unknown route {sel.route_id}")
                    if sel.stop_id and sel.stop_id not in ids["stop_id"]:
                        problems.append(f"{kind}: alert names unknown stop {sel.stop_id}")
        counts[kind] = len(msg.entity)
        # Conditional GET: the same snapshot answers 304.
        etag = headers.get("ETag") or headers.get("etag")
        if not etag:
            problems.append(f"{kind}: no ETag")
        else:
            status2, _, _ = fetch(url, {"If-None-Match": etag})
            if status2 != 304 and fetch(url)[1].get("ETag") == etag:
                problems.append(f"{kind}: If-None-Match with the current ETag gave {status2}")
        # The JSON form, for people, has as many entities.
        status3, _, body3 = fetch(url + "&format=json")
        if status3 != 200:
            problems.append(f"{kind}: format=json gave {status3}")
        elif abs(len(json.loads(body3)["entity"]) - len(msg.entity)) > 0 and fetch(url)[1].get("ETag") == etag:
            problems.append(f"{kind}: JSON and protobuf disagree")
    print("gtfs-rt-client:", json.dumps(counts))
    if counts.get("vehicle-positions", 0) < want_vehicles:
        problems.append(f"vehicle-positions: {counts.get('vehicle-positions')} vehicles, wanted {want_vehicles}")
    if counts.get("trip-updates", 0) < want_vehicles:
        problems.append(f"trip-updates: {counts.get('trip-updates')} runs, wanted {want_vehicles}")
    if counts.get("alerts", 0) < want_alerts:
        problems.append(f"alerts: {counts.get('alerts')} alerts, wanted {want_alerts}")
    if problems:
        for p in problems[:50]:
            print("  ", p)
        print(f"gtfs-rt-client: {len(problems)} problems")
        sys.exit(1)
    print("gtfs-rt-client: all three feeds parse and agree with the static feed")


if __name__ == "__main__":
    main()
