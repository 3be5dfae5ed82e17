"""A real Open311 GeoReport v2 client library (`georeport`, from PyPI) against a live paradero.

Run by `.ci/schemathesis` after Schemathesis, against the same server: the service list and
a service definition in JSON and XML, a request filed as the specification's form post, and
that request read back by its id in both formats. Exits non-zero on the first disagreement.
"""

import sys

import requests
from georeport import GeoReport

root = sys.argv[1].rstrip("/") + "/open311/v2"
failures = []


def check(what, ok):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


for fmt in ("json", "xml"):
    client = GeoReport(root, output_format=fmt)
    services = client.get_service_list()
    codes = [s["service_code"] for s in services]
    check(f"{fmt}: service list has the harassment categories", "acoso_verbal" in codes)
    check(f"{fmt}: and the Trujillo observatory's", "atropello" in codes)
    check(
        f"{fmt}: every service says it has metadata",
        all(str(s["metadata"]).lower() == "true" for s in services),
    )
    definition = client.get_service_definition("acoso_verbal")
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = attributes["attribute"]
    names = [a["code"] for a in attributes]
    check(f"{fmt}: the definition names its attributes", "stop_id" in names)

# GeoReport clients file with a form post (the library reads only).
filed = requests.post(
    root + "/requests.json",
    data={
        "service_code": "robo",
        "lat": "-16.3989",
        "long": "-71.5369",
        "description": "Me robaron el celular en el paradero",
        "email": "nadie@example.org",
    },
    timeout=30,
)
check("a form post files a request (201)", filed.status_code == 201)
secret = filed.json()[0]["service_request_id"] if filed.ok else ""
for fmt in ("json", "xml"):
    client = GeoReport(root, output_format=fmt)
    got = client.get_service_request(secret)
    if fmt == "xml":
        got = got["request"] if isinstance(got, dict) and "request" in got else got
    one = got[0] if isinstance(got, list) else got
    check(f"{fmt}: the request reads back by its id", one.get("service_request_id") == secret)
    check(f"{fmt}: its status is open", one.get("status") == "open")
    check(f"{fmt}: no reporter's e-mail in it", "nadie@example.org" not in str(got))

if failures:
    print(f"{len(failures)} Open311 client checks failed", file=sys.stderr)
    sys.exit(1)
print("the Open311 client library agrees with paradero")
