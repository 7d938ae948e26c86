#!/usr/bin/env bash
# Bytes allocated per idle connection, the figure resident memory per idle connection follows (docs/performance.md,
# memory per idle connection): a fresh gateway with one side on, 16 warm-up connections, then COUNT idle MQTT 3.1.1
# connections (keepalive 1200 s, CONNACK awaited; for tcp, bare connections to the unified port) as in
# idle-connections.sh; prints, per connection, the managed bytes
# allocated meanwhile (dotnet_gc_heap_total_allocated_bytes from /metrics, live or not), the RSS growth and the
# gateway's CPU time. Quicker and steadier under load than the RSS of idle-connections.sh; compare a change with its
# base in alternating runs.
#   benchmarks/harness/idle-allocations.sh [relay|pipeline|tcp] [COUNT]     default relay 3000
set -euo pipefail
cd "$(dirname "$0")/../.."
SIDE=${1:-relay}; COUNT=${2:-3000}
. benchmarks/harness/lib.sh
need mosquitto mosquitto
harness_begin
build_bench
ulimit -n "$(ulimit -Hn)"

UP=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_connections -1\n' "$UP" > "$WORK/mosquitto.conf"
mosquitto -c "$WORK/mosquitto.conf" > /dev/null 2>&1 & PIDS+=($!)
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$UP") 2>/dev/null && break; sleep 0.1; done
cat > "$WORK/seed.json" <<SEED
{ "groups": [ { "groupId": "bench", "configuration": { "SoracomBeam": {
    "mqtt://beam.soracom.io:1883": { "destination": "mqtt://127.0.0.1:$UP", "enabled": true, "addSubscriberHeader": true },
    "tcp://beam.soracom.io:23080": { "destination": "http://127.0.0.1:$(free_port)/", "enabled": true } },
    "SoracomHarvest": { "enabled": true } } } ],
  "subscribers": [ { "imsi": "440101234567890", "groupId": "bench", "ipAddress": "127.0.0.1" } ] }
SEED
GA=$(free_port); P=$(free_port)
case "$SIDE" in
  relay) PORTS=(--mqtt-port "$P") ;;
  pipeline) PORTS=(--mqtt-pipeline-port "$P") ;;
  tcp) PORTS=(--unified-port "$P") ;;
  *) echo "side: relay, pipeline or tcp" >&2; exit 2 ;;
esac
dotnet Gateway/bin/Release/net10.0/gateway.dll --registry "$WORK/seed.json" --data-dir "$WORK/d" --admin-port "$GA" \
  --listen-address 127.0.0.1 --http-port 0 --website-port 0 --unified-port 0 --tcp-port 0 --mqtt-port 0 --device-http-port 0 \
  --mqtt-pipeline-port 0 "${PORTS[@]}" --root-auth-key-id keyId-b --root-auth-key secret-bench-0123456789 \
  --Gateway:Beam:MaxConnectionsPerDevice 30000 --Gateway:Beam:MaxConnections 30000 \
  --Logging:LogLevel:Default Warning > "$WORK/gateway.log" 2>&1 & PIDS+=($!)
GW=${PIDS[-1]}
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$GA/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
allocated() { curl -s "http://127.0.0.1:$GA/metrics" | awk '/^dotnet_gc_heap_total_allocated_bytes/ {print $2}'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$GW/stat"; }

KIND=mqtt; [ "$SIDE" != tcp ] || KIND=tcp
$BENCH idle-conns "127.0.0.1:$P" 16 "$KIND" 127.0.0.1 0.5 warm > /dev/null
sleep 1
a0=$(allocated); r0=$(rss_kib "$GW"); t0=$(cpu_ticks)
$BENCH idle-conns "127.0.0.1:$P" "$COUNT" "$KIND" 127.0.0.1 600 idle > "$WORK/idle.out" & PIDS+=($!)
for _ in $(seq 600); do grep -q '^ready' "$WORK/idle.out" && break; sleep 0.5; done
sleep 3
a1=$(allocated); r1=$(rss_kib "$GW"); t1=$(cpu_ticks)
ok=$(grep -o 'ok=[0-9]*' "$WORK/idle.out" | cut -d= -f2)
python3 -c "
ok = max($ok, 1); hz = $(getconf CLK_TCK)
print(f'$SIDE: {ok} connections; allocated {($a1 - $a0) / ok / 1024:.2f} KiB, RSS {($r1 - $r0) / ok:.2f} KiB, '
      f'CPU {($t1 - $t0) / hz * 1e6 / ok:.0f} µs per connection; load average $(cut -d' ' -f1-3 /proc/loadavg)')"
