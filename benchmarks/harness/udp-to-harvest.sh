#!/usr/bin/env bash
# UDP→Harvest (SQLite): datagrams on the unified port from DEVICES registered devices (127.0.0.1 … N) of one group
# with SoracomHarvest on → HarvestService → bounded queue → batched writer → harvest.db in the data directory
# (WAL, synchronous=FULL); each device gets "201" only after its row's transaction committed.
# Open loop (benchmarks/Gateway.Benchmarks udp-blast: RATE datagrams/s whatever happens to them), ROUNDS times.
# Committed = "201" replies counted by the sender; rows = entries in harvest.db at the end (fewer than committed
# when one device sends twice in one millisecond: Harvest keys entries by time, the second replaces the first).
# Per-device UDP limits are lifted: this measures the path, not the limits.
# Usage: benchmarks/harness/udp-to-harvest.sh [seconds]   (env: RATE=20000 ROUNDS=2 DEVICES=16; GATEWAY_DLL runs another build)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}; RATE=${RATE:-20000}; ROUNDS=${ROUNDS:-2}; DEVICES=${DEVICES:-16}
. benchmarks/harness/lib.sh
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 command (apt-get install sqlite3)"; exit 1; }

harness_begin
build_bench

subs=""; SOURCES=""
for i in $(seq "$DEVICES"); do
  subs+="${subs:+,}{ \"imsi\": \"44010$(printf '%010d' "$i")\", \"groupId\": \"bench\", \"ipAddress\": \"127.0.0.$i\" }"
  SOURCES+="${SOURCES:+,}127.0.0.$i"
done
cat > "$WORK/seed.json" <<SEED
{ "groups": [ { "groupId": "bench", "configuration": { "SoracomHarvest": { "enabled": true } } } ], "subscribers": [ $subs ] }
SEED

UDP_IN_FLIGHT=4096 start_udp_gateway

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rows() { sqlite3 "$WORK/d/harvest.db" "SELECT count(*) FROM harvest_entries"; }
hz=$(getconf CLK_TCK)

$BENCH udp-blast "127.0.0.1:$GU" 100 1 127.0.0.1 >/dev/null   # warm-up: JIT, schema, first pages
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  r0=$(rows); t0=$(ticks "$GATEWAY_PID")
  out=$($BENCH udp-blast "127.0.0.1:$GU" "$RATE" "$DURATION" "$SOURCES")
  t1=$(ticks "$GATEWAY_PID"); r1=$(rows)
  committed=$(grep -o 'other reply x[0-9]*: 201' <<<"$out" | grep -o 'x[0-9]*' | tr -d x || echo 0)
  committed=${committed:-0}
  rss=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$GATEWAY_PID/status")
  awk -v r="$round" -v rate="$RATE" -v d="$DURATION" -v c="$committed" -v rows=$((r1 - r0)) -v t=$((t1 - t0)) -v hz="$hz" -v rss="$rss" 'BEGIN {
    printf "round %d, open loop at %d/s for %d s: committed (201) %d = %.0f msg/s; new rows %d; gateway CPU %.0f %% of a core, %.1f µs per message; RSS %d MB\n",
      r, rate, d, c, c / d, rows, 100 * t / hz / d, (c > 0 ? 1e6 * t / hz / c : 0), rss }'
  echo "  sender: $(head -1 <<<"$out")"
  tail -n +2 <<<"$out" | grep -v ': 201$' | sed 's/^/  /' || true
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "harvest.db: $(du -h "$WORK/d/harvest.db" | cut -f1) + WAL $(du -h "$WORK/d/harvest.db-wal" 2>/dev/null | cut -f1)"
exit 0
