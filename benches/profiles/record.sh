#!/usr/bin/env bash
# Where a Kassa server's CPU goes under wrk at 64 connections: session
# create and session status on SQLite (a release build, as the gateway
# benchmark serves it), each recorded with perf and drawn as a flamegraph.
#
# Needs perf, wrk (Debian packages) and inferno (`cargo install inferno`).
# Run from the repository root: benches/profiles/record.sh [seconds]
# Writes benches/profiles/{create,status}.svg, and the folded stacks they
# are drawn from (.folded, large, not committed), which shares.py sums by
# part of the request path.
set -euo pipefail
secs=${1:-10}
out=benches/profiles
bin=$(cargo bench --bench gateway --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -1)
[ -x "$bin" ] || { echo "the gateway benchmark did not build" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" serve-kassa "sqlite://$work/bench.sqlite3" > "$work/ready" &
server=$!
for _ in $(seq 1 100); do
  grep -q READY "$work/ready" 2>/dev/null && break
  sleep 0.1
done
read -r _ addr key < "$work/ready"
export KASSA_KEY=$key
echo "kassa (pid $server) on $addr"

profile() { # name url script
  local name=$1 url=$2 script=$3
  wrk -t2 -c64 -d3s -s "$script" "$url" > /dev/null # warm-up
  wrk -t2 -c64 -d"${secs}s" --latency -s "$script" "$url" > "$work/$name.wrk" &
  local load=$!
  sleep 1
  perf record -F 499 -g --call-graph dwarf,16384 -p "$server" -o "$work/$name.data" \
    -- sleep $((secs - 2)) 2> /dev/null
  wait "$load"
  grep -E "Requests/sec|99%" "$work/$name.wrk" | sed "s/^/$name: /"
  perf script -i "$work/$name.data" 2> /dev/null | inferno-collapse-perf --kernel > "$out/$name.folded"
  # Frames narrower than half a pixel are left out: about a sixth of the size.
  inferno-flamegraph --minwidth 0.5 --title "Kassa $name under wrk -c64 (SQLite)" \
    < "$out/$name.folded" > "$out/$name.svg"
}

profile create "http://$addr/gateway/session.php" "$out/create.lua"
id=$(curl -s -X POST -H "content-type: application/json" -H "X-API-Key: $key" \
  --data-binary "$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$out/create.lua")" \
  "http://$addr/gateway/session.php" | sed -n 's/.*"session_id":\([0-9]*\).*/\1/p')
profile status "http://$addr/gateway/session_status.php?session_id=$id" "$out/status.lua"
python3 "$out/shares.py" "$out/create.folded" "$out/status.folded"
