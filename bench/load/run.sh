#!/usr/bin/env bash
# HTTP load benchmark of `paradero serve` on loopback with wrk (Debian package `wrk`).
# Prints startup time, /v1/plan, /v1/stops/near and POST /v1/reports throughput and latency,
# and server RSS.
# Usage: bash bench/load/run.sh [seconds per run, default 20]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-20}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release -p cli >/dev/null 2>&1
port=18787
start=$(date +%s.%N)
data=$(mktemp -d)
# One client at thousands of requests per second: switch the per-client limit off. A fresh
# SQLite store, so the observatory records every plan and takes the reports.
PARADERO_STORE__URL="sqlite://$data/load.db" PARADERO_SERVER__RATE_LIMIT_PER_MINUTE=0 PARADERO_LOG=warn \
  ./target/release/paradero serve --listen 127.0.0.1:$port &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.02; done
ready=$(date +%s.%N)
echo "startup to first answered request: $(echo "$ready - $start" | bc) s"
echo "/v1/plan ($secs s, 1 wrk thread, 16 connections):"
wrk -t1 -c16 -d"${secs}s" --latency -s bench/load/plan.lua "http://127.0.0.1:$port" | tail -1
echo "/v1/stops/near ($secs s, 1 wrk thread, 16 connections):"
wrk -t1 -c16 -d"${secs}s" --latency -s bench/load/near.lua "http://127.0.0.1:$port" | tail -1
echo "POST /v1/reports ($secs s, 1 wrk thread, 16 connections, SQLite):"
wrk -t1 -c16 -d"${secs}s" --latency -s bench/load/report.lua "http://127.0.0.1:$port" | tail -1
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$pid/status)"
