#!/usr/bin/env bash
# UDP → Azure Event Hubs: UDP datagrams → unified port → Funnel envelope → Event Hubs adapter (Azure.Messaging.EventHubs,
# partition key = IMSI) → the local AMQP 1.0 peer (tests/tools/EventHubsPeer, a process of its own, which checks the
# CBS token and counts the events it accepts); the device gets "200" only after the peer accepted the event.
# Open loop (udp-blast: RATE datagrams/s from DEVICES source addresses) counted by the peer's accepted events over the
# window after a warm-up, with each process's CPU; then closed loop (udp-load, 64 in flight) for replies/s and p99.
# The peer is not Azure: it accepts at once in memory, with no replication, throttling units or network between.
# Usage: benchmarks/harness/udp-to-eventhubs.sh [seconds]   (env: RATE=20000 ROUNDS=1 DEVICES=4 WARMUP=3)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}; RATE=${RATE:-20000}; ROUNDS=${ROUNDS:-1}; DEVICES=${DEVICES:-4}; WARMUP=${WARMUP:-3}
. benchmarks/harness/lib.sh

harness_begin
dotnet build -c Release Gateway/Gateway.csproj -v q -nologo >/dev/null
dotnet build -c Release tests/tools/EventHubsPeer/EventHubsPeer.csproj -v q -nologo >/dev/null
dotnet build -c Release benchmarks/Gateway.Benchmarks/Gateway.Benchmarks.csproj -v q -nologo >/dev/null
BENCH="dotnet benchmarks/Gateway.Benchmarks/bin/Release/net10.0/Gateway.Benchmarks.dll"

# The peer, fed commands through a FIFO (it stays up while the FIFO is open). A key made for this run only.
KEY=$(head -c 32 /dev/urandom | base64)
mkfifo "$WORK/peer.in"
exec 8<>"$WORK/peer.in"
dotnet tests/tools/EventHubsPeer/bin/Release/net10.0/EventHubsPeer.dll --key-name bench --key "$KEY" --hub gw \
  <&8 >"$WORK/peer.out" 2>"$WORK/peer.err" & PIDS+=($!)
PEER_PID=${PIDS[-1]}
for _ in $(seq 100); do [ -s "$WORK/peer.out" ] && break; sleep 0.1; done
PEER=$(head -1 "$WORK/peer.out")
echo "Event Hubs peer at $PEER (pid $PEER_PID)"
# accepted: the peer's count of accepted events (asks, then reads the newest line of its output).
accepted() {
  local before; before=$(wc -l < "$WORK/peer.out")
  echo count >&8
  for _ in $(seq 50); do [ "$(wc -l < "$WORK/peer.out")" -gt "$before" ] && break; sleep 0.02; done
  tail -1 "$WORK/peer.out"
}

subs=""; SOURCES=""
for i in $(seq "$DEVICES"); do
  subs+="${subs:+,}{ \"imsi\": \"44010$(printf '%010d' "$i")\", \"groupId\": \"bench\", \"ipAddress\": \"127.0.0.$i\" }"
  SOURCES+="${SOURCES:+,}127.0.0.$i"
done
cat > "$WORK/seed.json" <<SEED
{ "credentials": [ { "credentialsId": "bench-eh", "type": "azure-credentials", "credentials": { "policyName": "bench", "key": "$KEY" } } ],
  "groups": [ { "groupId": "bench", "configuration": { "SoracomFunnel": { "enabled": true, "contentType": "json", "credentialsId": "bench-eh",
    "destination": { "provider": "azure", "service": "eventhubs", "resourceUrl": "amqp://$PEER/gw" } } } } ],
  "subscribers": [ $subs ] }
SEED

start_udp_gateway

# One check message, so that the connection, CBS token and link exist before the rounds.
$BENCH udp-load "127.0.0.1:$GU" 1 4 >/dev/null
[ "$(accepted)" -gt 0 ] || { echo "nothing reached the peer"; cat "$WORK/gateway.log" "$WORK/peer.err"; exit 1; }

HZ=$(getconf CLK_TCK)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  $BENCH udp-blast "127.0.0.1:$GU" "$RATE" "$((WARMUP + DURATION + 1))" "$SOURCES" > "$WORK/blast.out" &
  sender=$!
  sleep "$WARMUP"
  a0=$(accepted); g0=$(ticks "$GATEWAY_PID"); p0=$(ticks "$PEER_PID"); t0=$(date +%s.%N)
  sleep "$DURATION"
  a1=$(accepted); g1=$(ticks "$GATEWAY_PID"); p1=$(ticks "$PEER_PID"); t1=$(date +%s.%N)
  wait "$sender"
  python3 - "$a0" "$a1" "$g0" "$g1" "$p0" "$p1" "$t0" "$t1" "$HZ" "$RATE" "$GATEWAY_PID" <<'PY'
import sys
a0, a1, g0, g1, p0, p1 = map(int, sys.argv[1:7]); t0, t1 = float(sys.argv[7]), float(sys.argv[8]); hz = int(sys.argv[9])
n = a1 - a0; s = t1 - t0
rss = next(int(l.split()[1]) for l in open(f"/proc/{sys.argv[11]}/status") if l.startswith("VmRSS")) // 1024
print(f"  open loop at {sys.argv[10]}/s: {n / s:.0f} events/s into the peer over {s:.1f} s; "
      f"gateway CPU {(g1 - g0) / hz / s * 100:.0f}% of a core ({(g1 - g0) / hz / max(n, 1) * 1e6:.0f} us/event), "
      f"peer CPU {(p1 - p0) / hz / s * 100:.0f}%; gateway RSS {rss} MiB")
PY
  echo "    sender: $(cat "$WORK/blast.out")"
  $BENCH udp-load "127.0.0.1:$GU" "$DURATION" 64 > "$WORK/load.out"
  echo "  closed loop (64 in flight): $(cat "$WORK/load.out")"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -ci "error\|fail" "$WORK/gateway.log" >/dev/null && { echo "gateway log:"; head -5 "$WORK/gateway.log"; }
exit 0
