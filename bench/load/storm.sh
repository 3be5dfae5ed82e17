#!/usr/bin/env bash
# The disconnect storm of the [hardening] issue as a soak: `paradero serve` on a fresh SQLite
# store, clients that send a report and reset the connection at once, and steady writers
# measuring what they get (bench/examples/disconnect_storm.rs). Prints the writers' figures and
# how often the server logged a connection left inside a transaction.
# Usage: bash bench/load/storm.sh [seconds, default 60] [path of the paradero binary]
# (an older binary may not know today's configuration: set PARADERO_FEEDS for it).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
bin=${2:-./target/release/paradero}
[ "$bin" != ./target/release/paradero ] || cargo build --release -p cli >/dev/null 2>&1
cargo build --release -p paradero-bench --example disconnect_storm >/dev/null 2>&1
port=18788
data=$(mktemp -d)
PARADERO_STORE__URL="sqlite://$data/storm.db" PARADERO_SERVER__RATE_LIMIT_PER_MINUTE=0 \
  PARADERO_LOG=warn "$bin" serve --listen 127.0.0.1:$port 2>"$data/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
  kill -0 $pid 2>/dev/null || { echo "the server did not start:"; cat "$data/log"; exit 1; }
  sleep 0.05
done
# Another process writing the same database meanwhile (as officials' CLI commands do), so that
# BEGIN IMMEDIATE has to wait for the lock — the moment a hang-up cancelled it.
(
  end=$((SECONDS + secs))
  i=0
  while [ $SECONDS -lt $end ]; do
    PARADERO_STORE__URL="sqlite://$data/storm.db" PARADERO_LOG=error \
      "$bin" admin token create --name "storm-$i" --role viewer >/dev/null 2>&1 || true
    i=$((i + 1))
  done
  echo "$i" >"$data/cli_runs"
) &
cli=$!
./target/release/examples/disconnect_storm "127.0.0.1:$port" "$secs" 16 8
wait $cli
echo "other process: $(cat "$data/cli_runs") CLI writes (admin token create) meanwhile"
echo "server log: $(grep -c 'within a transaction' "$data/log" || true) 'cannot start a transaction within a transaction'," \
  "$(grep -ci 'busy' "$data/log" || true) 'busy' lines; peak RSS $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$pid/status 2>/dev/null)"
