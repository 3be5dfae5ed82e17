#!/usr/bin/env bash
# Load on the operators' positions endpoint: `paradero serve` with the bundled cities on a
# fresh SQLite store (or the store in PARADERO_STORE__URL, e.g. PostgreSQL), an operator token
# for all of Arequipa's companies, and `paradero simulate fleet` posting VEHICLES buses every
# second in batches of 100, 4 in flight (CONCURRENCY), for SECONDS seconds. Prints the simulator's summary
# (positions/s accepted, batch latency p50/p90/p99/max, drops by reason), what the server
# counted, and its peak RSS.
# Usage: bash bench/load/positions.sh [seconds, default 20] [vehicles, default 5000]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-20}
vehicles=${2:-5000}
cargo build --release -p cli >/dev/null 2>&1
bin=./target/release/paradero
port=18788
data=$(mktemp -d)
export PARADERO_STORE__URL=${PARADERO_STORE__URL:-sqlite://$data/load.db}
# Thousands of requests a minute from one client: the per-client limit is off; the batch cap
# stays the configured one (1,000).
PARADERO_SERVER__RATE_LIMIT_PER_MINUTE=0 PARADERO_LOG=warn $bin serve --listen 127.0.0.1:$port &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
agencies=$(unzip -p feeds/arequipa.zip agency.txt | tail -n +2 | cut -d, -f1 | sed 's/^/--agency arequipa:/' | tr '\n' ' ')
# shellcheck disable=SC2086
token=$($bin admin token create --role operator --name load $agencies  | tail -1)
echo "POST /v1/realtime/positions: $vehicles buses every second, $secs s, store ${PARADERO_STORE__URL%%:*}"
$bin simulate fleet --feed arequipa --vehicles "$vehicles" --interval 1 --steps "$secs" \
  --batch 100 --concurrency "${CONCURRENCY:-4}" --summary --server "http://127.0.0.1:$port" --token "$token"
curl -s "http://127.0.0.1:$port/metrics" | grep -E "^paradero_realtime_(positions|vehicles)" | head -20
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$pid/status)"
