#!/usr/bin/env bash
# MQTT→Kafka: MQTT 5 clients (benchmarks/Gateway.Benchmarks mqtt-load) publish at QoS 1 to the gateway's MQTT
# pipeline endpoint; Funnel puts each message's envelope into topic "mq" of a Kafka mock cluster (tests/tools/KafkaMock)
# and the PUBACK follows Kafka's acknowledgement. Devices are identified by source address, so the clients bind
# DEVICES registered addresses (127.0.0.1 …), CONNECTIONS each, INFLIGHT publishes outstanding per connection.
# Reports PUBACKs/s and publish-to-PUBACK latency (the load generator), records/s into the topic, the gateway's CPU
# per record and RSS (kafka-watch, over the window after a warm-up). ROUNDS runs.
# Usage: benchmarks/harness/mqtt-to-kafka.sh [seconds]   (env: DEVICES=4 CONNECTIONS=16 INFLIGHT=2 ROUNDS=2 WARMUP=3)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}; DEVICES=${DEVICES:-4}; CONNECTIONS=${CONNECTIONS:-16}; INFLIGHT=${INFLIGHT:-2}; ROUNDS=${ROUNDS:-2}; WARMUP=${WARMUP:-3}
. benchmarks/harness/lib.sh
harness_begin
start_kafka_bench
funnel_seed "$WORK/seed.json" mq "$DEVICES"
GM=$(free_port); GA=$(free_port)
dotnet "${GATEWAY_DLL:-Gateway/bin/Release/net10.0/gateway.dll}" --registry "$WORK/seed.json" --data-dir "$WORK/d" --admin-port "$GA" \
  --listen-address 127.0.0.1 --http-port 0 --website-port 0 --unified-port 0 --tcp-port 0 --mqtt-port 0 \
  --device-http-port 0 --mqtt-pipeline-port "$GM" --root-auth-key-id keyId-b --root-auth-key secret-bench-0123456789 \
  --Logging:LogLevel:Default Warning > "$WORK/gateway.log" 2>&1 & PIDS+=($!)
GATEWAY_PID=${PIDS[-1]}
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GA/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
$BENCH mqtt-load "127.0.0.1:$GM" 1 127.0.0.1 1 1 >/dev/null   # the topic exists, the producer is connected

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  $BENCH mqtt-load "127.0.0.1:$GM" "$((WARMUP + DURATION + 1))" "$SOURCES" "$CONNECTIONS" "$INFLIGHT" > "$WORK/load.out" &
  sender=$!
  watch=$($BENCH kafka-watch "$KAFKA" mq "$WARMUP" "$DURATION" "gateway=$GATEWAY_PID" "kafka-mock=$KAFKA_PID")
  wait "$sender"
  echo "round $round: $watch"
  echo "  load generator (whole run, warm-up included): $(cat "$WORK/load.out")"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
