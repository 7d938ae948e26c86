#!/usr/bin/env bash
# UDP→Google Pub/Sub through the gateway, into Google's Pub/Sub emulator on loopback:
#   UDP datagrams → unified port → Funnel envelope → Pub/Sub adapter (REST publish) → topic "gw-topic" ("200" to the device
#   after the emulator answered the publish).
# Open loop (Gateway.Benchmarks udp-blast: RATE datagrams/s from DEVICES source addresses, whatever happens to them)
# and closed loop (udp-load, 64 in flight: replies/s and p50/p99 reply latency). Messages delivered are counted by
# pulling (and acknowledging) the topic's subscription over the window after a warm-up, with the gateway's and the
# emulator's CPU ticks over the same window. ROUNDS rounds, each: open loop, then closed loop.
# The emulator is not the cloud: one JVM keeping messages in memory, on the same two cores, with no quota or
# network latency; the figures say what the path costs here, not what Pub/Sub takes.
# Usage: benchmarks/harness/udp-to-pubsub.sh [seconds]   (env: RATE=5000 ROUNDS=1 DEVICES=4 WARMUP=3 TRANSPORT=grpc
# (or rest: the adapter's "transport"); GATEWAY_DLL runs another build of the gateway)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}; RATE=${RATE:-5000}; ROUNDS=${ROUNDS:-1}; DEVICES=${DEVICES:-4}; WARMUP=${WARMUP:-3}; TRANSPORT=${TRANSPORT:-grpc}
EMULATOR=/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator
[ -x "$EMULATOR" ] || { echo "the Google Pub/Sub emulator is missing ($EMULATOR): install google-cloud-cli-pubsub-emulator from Google's apt source"; exit 1; }
. benchmarks/harness/lib.sh

harness_begin
build_bench

# The emulator (its start script execs Java, so this PID is the JVM's).
EP=$(free_port)
"$EMULATOR" --host=127.0.0.1 --port="$EP" > "$WORK/emulator.log" 2>&1 & PIDS+=($!)
EMULATOR_PID=${PIDS[-1]}
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$EP/" >/dev/null 2>&1 && break; sleep 0.2; done
E="http://127.0.0.1:$EP/v1/projects/bench-project"
curl -sf -X PUT "$E/topics/gw-topic" >/dev/null
curl -sf -X PUT "$E/subscriptions/gw-sub" -H 'content-type: application/json' -d '{"topic":"projects/bench-project/topics/gw-topic"}' >/dev/null
echo "Pub/Sub emulator at 127.0.0.1:$EP (pid $EMULATOR_PID); the adapter publishes over $TRANSPORT"

# The registry: one group whose Funnel publishes JSON to the emulator's topic, DEVICES devices at 127.0.0.1 … N.
subs=""; SOURCES=""
for i in $(seq "$DEVICES"); do
  subs+="${subs:+,}{ \"imsi\": \"44010$(printf '%010d' "$i")\", \"groupId\": \"bench\", \"ipAddress\": \"127.0.0.$i\" }"
  SOURCES+="${SOURCES:+,}127.0.0.$i"
done
cat > "$WORK/seed.json" <<SEED
{ "groups": [ { "groupId": "bench", "configuration": { "SoracomFunnel": { "enabled": true, "contentType": "json",
    "destination": { "provider": "google", "service": "pubsub", "resourceUrl": "projects/bench-project/topics/gw-topic",
                     "endpoint": "http://127.0.0.1:$EP", "transport": "$TRANSPORT" } } } } ],
  "subscribers": [ $subs ] }
SEED

start_udp_gateway

# watch WARMUP SECONDS: pulls and acknowledges the subscription throughout, counting what arrives in the window.
cat > "$WORK/watch.py" <<'PY'
import json, sys, time, urllib.request
base, warmup, seconds, procs = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
def post(path, body):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")
def ticks(pid):
    s = open(f"/proc/{pid}/stat").read(); f = s[s.rindex(")") + 2:].split(" ")
    return int(f[11]) + int(f[12])
def drain():
    got = post("/subscriptions/gw-sub:pull", {"maxMessages": 1000, "returnImmediately": True}).get("receivedMessages", [])
    if got:
        post("/subscriptions/gw-sub:acknowledge", {"ackIds": [m["ackId"] for m in got]})
    return len(got)
end = time.time() + warmup
while time.time() < end: drain()
t0 = ticks_t = time.time(); t0ticks = [ticks(p.split("=")[1]) for p in procs]; n = 0
while time.time() < t0 + seconds: n += drain()
elapsed = time.time() - t0
line = f"pulled {n} in {elapsed:.2f} s = {n / elapsed:.0f} msg/s"
for p, t in zip(procs, t0ticks):
    name, pid = p.split("="); cpu = (ticks(pid) - t) / 100.0
    line += f"; {name} cpu {cpu / elapsed * 100:.0f}% = {(cpu * 1e6 / n) if n else float('nan'):.1f} µs/msg"
print(line)
while drain(): pass
PY

# One check message, so that the path is warm and known to work.
$BENCH udp-load "127.0.0.1:$GU" 1 4 > "$WORK/check.out"
echo "check: $(cat "$WORK/check.out")"

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  $BENCH udp-blast "127.0.0.1:$GU" "$RATE" "$((WARMUP + DURATION + 1))" "$SOURCES" > "$WORK/blast.out" &
  sender=$!
  watch=$(python3 "$WORK/watch.py" "$E" "$WARMUP" "$DURATION" "gateway=$GATEWAY_PID" "emulator=$EMULATOR_PID")
  wait "$sender"
  echo "  gateway, open loop at $RATE/s: $watch"
  echo "    sender: $(cat "$WORK/blast.out")"
  $BENCH udp-load "127.0.0.1:$GU" "$((WARMUP + DURATION + 1))" 64 > "$WORK/load.out" &
  sender=$!
  watch=$(python3 "$WORK/watch.py" "$E" "$WARMUP" "$DURATION" "gateway=$GATEWAY_PID" "emulator=$EMULATOR_PID")
  wait "$sender"
  echo "  gateway, closed loop (64 in flight): $watch"
  echo "    sender: $(cat "$WORK/load.out")"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -m3 -i "error\|fail" "$WORK/gateway.log" || true
exit 0
