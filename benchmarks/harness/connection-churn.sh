#!/usr/bin/env bash
# Memory after device connections close (issue #15 item 14): does the gateway's resident memory come back, stay up
# once, or grow with every batch of connections? ROUNDS times, COUNT idle connections are opened to the Beam HTTP relay
# port (TCP, nothing sent) and closed, then COUNT MQTT relay connections (CONNECT relayed to a mosquitto upstream, so
# each holds an upstream session) are opened and closed; after each batch, SETTLE seconds later, it prints the
# gateway's VmRSS and the runtime's own figures from /metrics (managed heap after the last GC, memory the GC has
# committed, collections per generation). With GCDUMP=1 it also takes a heap dump at the start and at the end
# (dotnet-gcdump on the PATH, which collects fully first) and prints the largest types and the per-connection ones.
# With IDLE=N it waits N more seconds at the end and prints the figures again (does the GC give memory back later?).
# Usage: benchmarks/harness/connection-churn.sh [count]   (env ROUNDS=3, SETTLE=5, IDLE=0, GCDUMP=0, and any DOTNET_*
# GC setting, which the gateway inherits, e.g. DOTNET_gcServer=0).
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${1:-9000}; ROUNDS=${ROUNDS:-3}; SETTLE=${SETTLE:-5}; GCDUMP=${GCDUMP:-0}; IDLE=${IDLE:-0}
# Four source addresses, so that the client's closed sockets in TIME_WAIT do not run out of ephemeral ports.
SOURCES=127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4
. benchmarks/harness/lib.sh
need mosquitto mosquitto
harness_begin
build_bench
ulimit -n "$(ulimit -Hn)"

UPSTREAM=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\nmax_connections -1\n' "$UPSTREAM" > "$WORK/mosquitto.conf"
mosquitto -c "$WORK/mosquitto.conf" > /dev/null 2>&1 & PIDS+=($!)
cat > "$WORK/seed.json" <<SEED
{ "groups": [ { "groupId": "churn", "configuration": { "SoracomBeam": {
    "mqtt://beam.soracom.io:1883": { "destination": "mqtt://127.0.0.1:$UPSTREAM", "enabled": true },
    "http://beam.soracom.io:8888": { "destination": "http://127.0.0.1:9/", "enabled": true } } } } ],
  "subscribers": [ { "imsi": "440101234567890", "groupId": "churn", "ipRanges": ["127.0.0.0/29"] } ] }
SEED

GA=$(free_port); RELAY=$(free_port); MQTT=$(free_port)
dotnet Gateway/bin/Release/net10.0/gateway.dll --registry "$WORK/seed.json" --data-dir "$WORK/data" --admin-port "$GA" \
  --listen-address 127.0.0.1 --http-port "$RELAY" --mqtt-port "$MQTT" --website-port 0 --unified-port 0 --tcp-port 0 \
  --device-http-port 0 --mqtt-pipeline-port 0 --root-auth-key-id keyId-churn --root-auth-key secret-churn-0123456789 \
  --Gateway:Beam:MaxConnectionsPerDevice 30000 --Gateway:Beam:MaxConnections 30000 \
  --Logging:LogLevel:Default Warning > "$WORK/gateway.log" 2>&1 & PIDS+=($!)
GATEWAY_PID=${PIDS[-1]}
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GA/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

# snapshot LABEL: one line of the gateway's memory figures.
snapshot() {
  local m; m=$(curl -sf "http://127.0.0.1:$GA/metrics")
  python3 - "$1" "$(rss_kib "$GATEWAY_PID")" <<PY
import re, sys
m = """$m"""
def total(name, where=""):
    return sum(float(v) for l, v in re.findall(r'^(' + name + r'(?:\{[^}]*\})?) ([0-9.e+]+)$', m, re.M) if where in l)
mib = lambda b: f"{b / 1048576:.1f}"
gens = "/".join(str(int(total("dotnet_gc_collections_total", f'gc_heap_generation="{g}"'))) for g in ("gen0", "gen1", "gen2"))
print(f"{sys.argv[1]:<22} RSS {int(sys.argv[2]) / 1024:6.1f} MiB  heap after last GC {mib(total('dotnet_gc_last_collection_heap_size_bytes'))} MiB"
      f"  GC committed {mib(total('dotnet_gc_last_collection_memory_committed_size_bytes'))} MiB  collections gen0/1/2 {gens}")
PY
}

# dump LABEL: a heap dump (after a full collection), its largest types and the relay's per-connection ones.
dump() {
  [ "$GCDUMP" = 1 ] || return 0
  command -v dotnet-gcdump >/dev/null || { echo "GCDUMP=1 needs dotnet-gcdump on the PATH (dotnet tool install -g dotnet-gcdump)"; exit 1; }
  dotnet-gcdump collect -p "$GATEWAY_PID" -o "$WORK/$1.gcdump" >/dev/null
  snapshot "$1 (after full GC)"
  dotnet-gcdump report "$WORK/$1.gcdump" | head -14
  dotnet-gcdump report "$WORK/$1.gcdump" | grep -E 'Relay|Socket|Mqtt|Pipe|Connection' | head -12 || true
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $COUNT connections per batch, $ROUNDS rounds"
$BENCH idle-conns "127.0.0.1:$MQTT" 16 mqtt 127.0.0.1 0.5 warm >/dev/null
$BENCH idle-conns "127.0.0.1:$RELAY" 16 tcp 127.0.0.1 0.5 warm >/dev/null
sleep "$SETTLE"; snapshot "start"; dump start
for round in $(seq "$ROUNDS"); do
  $BENCH idle-conns "127.0.0.1:$RELAY" "$COUNT" tcp "$SOURCES" 2 "r$round" | head -1
  sleep "$SETTLE"; snapshot "round $round relay"
  $BENCH idle-conns "127.0.0.1:$MQTT" "$COUNT" mqtt "$SOURCES" 2 "m$round" | head -1
  sleep "$SETTLE"; snapshot "round $round mqtt"
done
if [ "$IDLE" -gt 0 ]; then sleep "$IDLE"; snapshot "idle ${IDLE} s later"; fi
dump end
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
