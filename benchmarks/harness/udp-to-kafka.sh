#!/usr/bin/env bash
# UDP→Kafka side by side, into one Kafka mock cluster (tests/tools/KafkaMock), separate topics:
#   gateway: UDP datagrams → unified port → Funnel envelope → Kafka topic "gw" ("200" to the device after Kafka acked);
#   rsyslog: imudp → omkafka → topic "rs" (a JSON record of source address, time and the datagram; no reply).
# Open loop (benchmarks/Gateway.Benchmarks udp-blast: RATE datagrams/s from DEVICES source addresses, whatever
# happens to them) against both, and closed loop (udp-load, 64 in flight) against the gateway. Records delivered
# are counted by the topic's end offsets over the window after a warm-up (kafka-watch), with each process's CPU
# ticks and RSS. Interleaved, ROUNDS times: gateway, rsyslog, gateway closed loop.
# A few devices carry the whole load here, so the per-device UDP limits (UdpRatePerDevice, 1,000/s by default, and
# UdpMaxInFlightPerDevice) are lifted: this measures the path, not the limits.
# Usage: benchmarks/harness/udp-to-kafka.sh [seconds]   (env: RATE=40000 ROUNDS=2 DEVICES=4 WARMUP=3; GATEWAY_DLL
# runs another build of the gateway, for before/after comparisons)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}; RATE=${RATE:-40000}; ROUNDS=${ROUNDS:-2}; DEVICES=${DEVICES:-4}; WARMUP=${WARMUP:-3}
. benchmarks/harness/lib.sh

# rsyslog and its Kafka output, installed when missing (as test.sh does).
apt_ensure rsyslog rsyslog-kafka

harness_begin
start_kafka_bench
funnel_seed "$WORK/seed.json" gw "$DEVICES"

start_udp_gateway

# rsyslog with a configuration of its own (nothing from /etc/rsyslog.*), bound to loopback.
RP=$(free_port)
mkdir -p "$WORK/rs"
cat > "$WORK/rsyslog.conf" <<CONF
global(workDirectory="$WORK/rs" maxMessageSize="8k")
module(load="imudp")
module(load="omkafka")
template(name="record" type="list") {
  constant(value="{\"sourceIp\":\"") property(name="fromhost-ip") constant(value="\",\"timestamp\":\"")
  property(name="timegenerated" dateFormat="rfc3339") constant(value="\",\"payloads\":") property(name="rawmsg")
  constant(value="}")
}
ruleset(name="kafka") {
  action(type="omkafka" broker=["$KAFKA"] topic="rs" template="record" partitions.auto="on"
         confParam=["acks=all", "linger.ms=5", "enable.idempotence=true"])
}
input(type="imudp" address="127.0.0.1" port="$RP" ruleset="kafka")
CONF
rsyslogd -n -f "$WORK/rsyslog.conf" -i "$WORK/rsyslogd.pid" > "$WORK/rsyslog.log" 2>&1 & PIDS+=($!)
RSYSLOG_PID=${PIDS[-1]}
sleep 1
kill -0 "$RSYSLOG_PID" || { cat "$WORK/rsyslog.log"; exit 1; }
others=$(pgrep -x rsyslogd | grep -vx "$RSYSLOG_PID" || true)
[ -z "$others" ] || echo "note: other rsyslogd processes are running (not started here): $others"

# One check message each way, so that both topics exist before the rounds.
$BENCH udp-load "127.0.0.1:$GU" 1 4 >/dev/null
$BENCH udp-blast "127.0.0.1:$RP" 100 1 127.0.0.1 >/dev/null

# open_loop NAME PORT TOPIC PID: udp-blast at RATE for the warm-up and the window, kafka-watch meanwhile.
open_loop() {
  $BENCH udp-blast "127.0.0.1:$2" "$RATE" "$((WARMUP + DURATION + 1))" "$SOURCES" > "$WORK/blast.out" &
  local sender=$!
  local watch; watch=$($BENCH kafka-watch "$KAFKA" "$3" "$WARMUP" "$DURATION" "$1=$4" "kafka-mock=$KAFKA_PID")
  wait "$sender"
  echo "  $1, open loop at $RATE/s: $watch"
  result udp-kafka "$1" offered_s="$RATE" $(watch_kv "$1" "$watch")
  echo "    sender: $(cat "$WORK/blast.out")"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  open_loop gateway "$GU" gw "$GATEWAY_PID"
  open_loop rsyslog "$RP" rs "$RSYSLOG_PID"
  $BENCH udp-load "127.0.0.1:$GU" "$((WARMUP + DURATION + 1))" 64 > "$WORK/load.out" &
  sender=$!
  watch=$($BENCH kafka-watch "$KAFKA" gw "$WARMUP" "$DURATION" "gateway=$GATEWAY_PID" "kafka-mock=$KAFKA_PID")
  wait "$sender"
  echo "  gateway, closed loop (64 in flight): $watch"
  echo "    sender: $(cat "$WORK/load.out")"
  p99=$(grep -o 'p99 [0-9.]*' "$WORK/load.out" | cut -d' ' -f2)
  result udp-kafka gateway-closed $(watch_kv gateway "$watch") p99_ms="$p99"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -ci "error\|fail" "$WORK/rsyslog.log" >/dev/null && { echo "rsyslog log:"; head -5 "$WORK/rsyslog.log"; }
exit 0
