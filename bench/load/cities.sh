#!/usr/bin/env bash
# Start to ready of the main job (Arequipa + Trujillo + Trujillo's streets + Arequipa's places,
# as config/paradero.toml ships them), and its peak RSS: `paradero serve` started N times
# (default 5) on a free port with a throwaway database, the "paradero serving" log line's
# ready_s read, the process stopped; GNU time's maximum resident set size. Medians printed.
# Budget (issue [cities]): ready ≤ 1.5 s, peak RSS ≤ 400 MB.
#   cargo build --release && bash bench/load/cities.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-5}
bin=target/release/paradero
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ready=(); rss=()
for i in $(seq "$n"); do
  log="$tmp/log$i"
  PARADERO_STORE__URL="sqlite://$tmp/db$i.db" /usr/bin/time -f 'maxrss_kb=%M' \
    "$bin" serve --listen 127.0.0.1:0 >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 300); do grep -q "paradero serving" "$log" && break; sleep 0.1; done
  pkill -INT -P "$pid" paradero || true
  wait "$pid" || true
  r=$(grep -o 'ready_s=[0-9.]*' "$log" | head -1 | cut -d= -f2)
  m=$(grep -o 'maxrss_kb=[0-9]*' "$log" | cut -d= -f2)
  ready+=("$r"); rss+=("$m")
  echo "run $i: ready ${r} s, peak RSS $((m / 1024)) MB"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "median start to ready $(median "${ready[@]}") s; median peak RSS $(( $(median "${rss[@]}" | cut -d. -f1) / 1024 )) MB (budget 1.5 s, 400 MB)"
