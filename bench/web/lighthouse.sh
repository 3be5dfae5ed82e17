#!/usr/bin/env bash
# Lighthouse (mobile profile) and axe-core (360 x 740) on every riders' page, in the project's
# Chromium, against a live `paradero serve` with the bundled city. Prints a table of scores
# and violations; fails below accessibility 100, best practices 100, SEO 95, performance
# $PARADERO_LH_PERF_MIN (95; CI sets 0: a speed figure, noisy on shared machines), or on any
# axe violation. The tools come from npm (pinned) into $TMPDIR, once.
# Usage: bash bench/web/lighthouse.sh [binary]   (default target/release/paradero, else debug)
set -euo pipefail
cd "$(dirname "$0")/../.."
tools="${TMPDIR:-/tmp}/paradero-lighthouse"
if [ ! -x "$tools/node_modules/.bin/lighthouse" ]; then
  mkdir -p "$tools"
  (cd "$tools" && npm install --silent --no-audit --no-fund lighthouse@12.8.2 axe-core@4.10.3 puppeteer-core@23.11.1 >/dev/null)
fi
bin="${1:-}"
if [ -z "$bin" ]; then
  if [ -x target/release/paradero ]; then bin=target/release/paradero; else
    [ -x target/debug/paradero ] || cargo build -q --bin paradero
    bin=target/debug/paradero
  fi
fi
export CHROME_PATH="${PARADERO_CHROMIUM:-/usr/bin/chromium}"
data="$(mktemp -d)"
port="${PARADERO_LH_PORT:-18099}"
PARADERO_SERVER__LISTEN="127.0.0.1:$port" PARADERO_STORE__URL="sqlite://$data/lh.db" \
  PARADERO_SERVER__RATE_LIMIT_PER_MINUTE=0 "$bin" serve >"$data/server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$data/server.log"; exit 1; }
  sleep 0.5
done
base="http://127.0.0.1:$port"
# `/` asks the city on a fresh browser; `/trujillo` is a city page with its streets.
pages=(/ /trujillo /reportar /encuestas /compartir /observatorio)
fail=0
perf_min="${PARADERO_LH_PERF_MIN:-95}"
printf '%-14s %5s %5s %5s %5s\n' page perf a11y bp seo
for p in "${pages[@]}"; do
  # Once more if the first run left no report (a browser that did not start in time).
  for _ in 1 2; do
    rm -f "$data/lh.json"
    "$tools/node_modules/.bin/lighthouse" "$base$p" --quiet --output=json --output-path="$data/lh.json" \
      --only-categories=performance,accessibility,best-practices,seo --max-wait-for-load=60000 \
      --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage" >/dev/null 2>&1 || true
    [ -s "$data/lh.json" ] && break
  done
  read -r perf a11y bp seo < <(node -e '
    const r = require(process.argv[1]).categories;
    const s = (k) => Math.round((r[k].score || 0) * 100);
    console.log(s("performance"), s("accessibility"), s("best-practices"), s("seo"));' "$data/lh.json")
  printf '%-14s %5s %5s %5s %5s\n' "$p" "$perf" "$a11y" "$bp" "$seo"
  if [ "$a11y" -lt 100 ] || [ "$bp" -lt 100 ] || [ "$seo" -lt 95 ] || [ "$perf" -lt "$perf_min" ]; then
    fail=1
    node -e '
      const a = require(process.argv[1]).audits;
      for (const [id, x] of Object.entries(a))
        if (x.score !== null && x.score < 1 && x.scoreDisplayMode !== "informative" && x.scoreDisplayMode !== "manual")
          console.log("   ", id, x.score, x.displayValue || "");' "$data/lh.json" | head -15
  fi
done
echo "== axe-core at 360 x 740"
NODE_PATH="$tools/node_modules" node bench/web/axe.js "$base" "${pages[@]}" || fail=1
exit "$fail"
