#!/usr/bin/env bash
# MQTT relay side by side, QoS 0 and QoS 1, end to end into one upstream mosquitto (the "cloud broker"):
#   gateway  device → gateway Beam MQTT port (identity by source address, topic + /IMSI, packets relayed) → upstream
#   bridge   device → a local mosquitto → its bridge (topic bench/# out) → upstream
# The devices are MQTT 3.1.1 clients (benchmarks/Gateway.Benchmarks mqtt-e2e: CONNECTIONS connections from
# 127.0.0.1, INFLIGHT messages each outstanding); one subscriber on the upstream broker receives everything, and a
# message counts as done when it arrives there, so the loop is closed on delivery for both QoS levels alike.
# messages/s and p50/p99 (publish → receipt upstream) are the load tool's; CPU per message is the gateway's or the
# bridging mosquitto's own (user + system over the run). Interleaved, ROUNDS rounds. RESULT lines for run-all.
# Installs mosquitto when missing. Usage: benchmarks/harness/mqtt-relay-vs-bridge.sh [seconds]
# (env CONNECTIONS=16 INFLIGHT=4 ROUNDS=2 WARMUP=2)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}; CONNECTIONS=${CONNECTIONS:-16}; INFLIGHT=${INFLIGHT:-4}; ROUNDS=${ROUNDS:-2}; WARMUP=${WARMUP:-2}
. benchmarks/harness/lib.sh
need mosquitto mosquitto
harness_begin
build_bench

# mosquitto_start NAME PORT [extra configuration]: a broker of its own on loopback (not the system's service).
mosquitto_start() {
  mkdir -p "$WORK/$1"
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest file %s\nmax_queued_messages 10000\n%s\n' \
    "$2" "$WORK/$1/log" "${3:-}" > "$WORK/$1/mosquitto.conf"
  mosquitto -c "$WORK/$1/mosquitto.conf" > /dev/null 2>&1 & PIDS+=($!)
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && break; sleep 0.1; done
}
UPSTREAM=$(free_port); LOCAL=$(free_port); GM=$(free_port); GA=$(free_port)
mosquitto_start upstream "$UPSTREAM"
mosquitto_start bridge "$LOCAL" "connection upstream
address 127.0.0.1:$UPSTREAM
bridge_protocol_version mqttv311
cleansession true
try_private false
topic bench/# out 1"
BRIDGE_PID=${PIDS[-1]}

cat > "$WORK/seed.json" <<SEED
{ "groups": [ { "groupId": "bench", "configuration": { "SoracomBeam": {
    "mqtt://beam.soracom.io:1883": { "destination": "mqtt://127.0.0.1:$UPSTREAM", "enabled": true, "addSubscriberHeader": true } } } } ],
  "subscribers": [ { "imsi": "440101234567890", "groupId": "bench", "ipAddress": "127.0.0.1" } ] }
SEED
dotnet Gateway/bin/Release/net10.0/gateway.dll --registry "$WORK/seed.json" --data-dir "$WORK/d" --admin-port "$GA" --listen-address 127.0.0.1 \
  --http-port 0 --website-port 0 --unified-port 0 --tcp-port 0 --mqtt-port "$GM" --device-http-port 0 --mqtt-pipeline-port 0 \
  --root-auth-key-id keyId-b --root-auth-key secret-bench-0123456789 --Logging:LogLevel:Default Warning > "$WORK/gateway.log" 2>&1 & PIDS+=($!)
GATEWAY_PID=${PIDS[-1]}
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GA/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
sleep 1   # the bridge's connection upstream

# run NAME ENTRY_PORT PID QOS: one measured run, its RESULT line
run() {
  local t0 t1 line
  t0=$(ticks "$3")
  line=$($BENCH mqtt-e2e "127.0.0.1:$2" "127.0.0.1:$UPSTREAM" "$DURATION" "$CONNECTIONS" "$INFLIGHT" "$4" "$WARMUP")
  t1=$(ticks "$3")
  echo "  $1 QoS $4: $line"
  python3 - "$1" "$4" "$line" "$t0" "$t1" "$(getconf CLK_TCK)" "$DURATION" "$WARMUP" "$(rss_kib "$3")" <<'PY'
import re, sys
name, qos, line = sys.argv[1:4]; t0, t1, hz = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
d, w, rss = float(sys.argv[7]), float(sys.argv[8]), int(sys.argv[9])
kv = dict(p.split("=", 1) for p in line.split())
msgs = float(kv["msgs_s"])
# CPU over the whole run (connect, warm-up and measured window) per message over the same span, approximately
cpu = (t1 - t0) / hz * 1e6 / max(msgs * (d + w), 1)
print(f"RESULT mqtt-qos{qos} {name} msgs_s={kv['msgs_s']} p50_ms={kv['p50_ms']} p99_ms={kv['p99_ms']} cpu_us={cpu:.1f} lost={kv['lost']} failed={kv['failed']} rss_mb={rss // 1024}")
PY
}

# Check both paths once (a message must reach the upstream subscriber) and warm the gateway's code up.
$BENCH mqtt-e2e "127.0.0.1:$GM" "127.0.0.1:$UPSTREAM" 1 2 1 1 0.5 | grep -q "msgs_s=[1-9]" || { echo "gateway path delivered nothing"; cat "$WORK/gateway.log"; exit 1; }
$BENCH mqtt-e2e "127.0.0.1:$LOCAL" "127.0.0.1:$UPSTREAM" 1 2 1 1 0.5 | grep -q "msgs_s=[1-9]" || { echo "bridge path delivered nothing"; cat "$WORK/bridge/log"; exit 1; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(mosquitto -h 2>/dev/null | head -1); $CONNECTIONS connections x $INFLIGHT in flight, ${DURATION}s"
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  for qos in 0 1; do
    run gateway "$GM" "$GATEWAY_PID" "$qos"
    run mosquitto-bridge "$LOCAL" "$BRIDGE_PID" "$qos"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
