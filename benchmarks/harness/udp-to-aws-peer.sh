#!/usr/bin/env bash
# UDP→Firehose or UDP→AWS IoT through the gateway into the contract peer (tests/tools/AwsPeer: the tests' FakeAws as a
# process, enforcing the documented request shapes and checking every request's SigV4 signature independently):
#   firehose  UDP datagrams → unified port → Funnel envelope → Firehose adapter (PutRecordBatch, JSON 1.1, SigV4)
#   aws-iot   UDP datagrams → unified port → Funnel envelope → AWS IoT adapter (POST /topics/bench%2F<IMSI>?qos=, SigV4)
# "200" goes to the device only after the peer accepted the record. Closed loop (Gateway.Benchmarks udp-load:
# CONCURRENCY datagrams in flight from 127.0.0.1, each waiting for its reply) for DURATION seconds after a warm-up,
# ROUNDS times; replies/s and p50/p99 reply latency are the load tool's, records accepted are the peer's count (a
# reply that was not a delivery would show as a shortfall; a refused request is reported). No emulator of either
# service exists here: the peer is an ASP.NET Core test server, not the cloud (no limits, no network, no storage),
# so the figures are what the gateway's path costs. Usage (through udp-to-firehose.sh / udp-to-awsiot.sh):
#   benchmarks/harness/udp-to-aws-peer.sh firehose|aws-iot [seconds]   (env CONCURRENCY=64 ROUNDS=2 WARMUP=3)
set -euo pipefail
cd "$(dirname "$0")/../.."
KIND=$1; DURATION=${2:-10}; CONCURRENCY=${CONCURRENCY:-64}; ROUNDS=${ROUNDS:-2}; WARMUP=${WARMUP:-3}
case "$KIND" in
  firehose) SERVICE=firehose; TABLE=udp-firehose ;;
  aws-iot) SERVICE=iotdata; TABLE=udp-awsiot ;;
  *) echo "usage: $0 firehose|aws-iot [seconds]" >&2; exit 2 ;;
esac
. benchmarks/harness/lib.sh
harness_begin
build_release Gateway/Gateway.csproj
build_release tests/tools/AwsPeer/AwsPeer.csproj
build_release benchmarks/Gateway.Benchmarks/Gateway.Benchmarks.csproj
BENCH="dotnet benchmarks/Gateway.Benchmarks/bin/Release/net10.0/Gateway.Benchmarks.dll"

# The peer, fed commands through a FIFO (it stays up while the FIFO is open).
mkfifo "$WORK/peer.in"
exec 8<>"$WORK/peer.in"
dotnet tests/tools/AwsPeer/bin/Release/net10.0/AwsPeer.dll "$SERVICE" <&8 >"$WORK/peer.out" 2>"$WORK/peer.err" & PIDS+=($!)
PEER_PID=${PIDS[-1]}
for _ in $(seq 100); do [ -s "$WORK/peer.out" ] && break; sleep 0.1; done
PEER=$(head -1 "$WORK/peer.out")
ask() { # COMMAND: the peer's one-line answer
  local before; before=$(wc -l < "$WORK/peer.out")
  echo "$1" >&8
  for _ in $(seq 100); do [ "$(wc -l < "$WORK/peer.out")" -gt "$before" ] && break; sleep 0.02; done
  tail -1 "$WORK/peer.out"
}

# AWS's documented example key (the peer's TestKeys), the same the adapter tests use.
if [ "$KIND" = firehose ]; then RESOURCE="$PEER/bench-stream"; else RESOURCE="$PEER/bench/#{imsi}"; fi
cat > "$WORK/seed.json" <<SEED
{ "credentials": [ { "credentialsId": "bench-aws", "type": "aws-credentials", "credentials": { "accessKeyId": "AKIAIOSFODNN7EXAMPLE", "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" } } ],
  "groups": [ { "groupId": "bench", "configuration": { "SoracomFunnel": { "enabled": true, "contentType": "json", "credentialsId": "bench-aws",
    "destination": { "provider": "aws", "service": "$KIND", "resourceUrl": "$RESOURCE" } } } } ],
  "subscribers": [ { "imsi": "440100000000001", "groupId": "bench", "ipAddress": "127.0.0.1" } ] }
SEED
start_udp_gateway

echo "$KIND peer at $PEER (pid $PEER_PID); check: $($BENCH udp-load "127.0.0.1:$GU" 1 1)"
[ "$(ask count)" -gt 0 ] || { echo "nothing reached the peer; refused: $(ask refused)"; cat "$WORK/gateway.log" "$WORK/peer.err"; exit 1; }

HZ=$(getconf CLK_TCK)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  $BENCH udp-load "127.0.0.1:$GU" "$WARMUP" "$CONCURRENCY" >/dev/null
  a0=$(ask count); g0=$(ticks "$GATEWAY_PID"); p0=$(ticks "$PEER_PID")
  load=$($BENCH udp-load "127.0.0.1:$GU" "$DURATION" "$CONCURRENCY")
  a1=$(ask count); g1=$(ticks "$GATEWAY_PID"); p1=$(ticks "$PEER_PID")
  echo "round $round, closed loop ($CONCURRENCY in flight, $DURATION s): $load"
  python3 - "$TABLE" "$load" "$a0" "$a1" "$g0" "$g1" "$p0" "$p1" "$HZ" "$(rss_kib "$GATEWAY_PID")" <<'PY'
import re, sys
table, line = sys.argv[1], sys.argv[2]; a0, a1, g0, g1, p0, p1, hz, rss = map(int, sys.argv[3:11])
replies = int(re.search(r"replies (\d+)", line).group(1)); secs = float(re.search(r"in ([\d.]+) s", line).group(1))
p50 = re.search(r"p50 ([\d.NaN]+) ms", line).group(1); p99 = re.search(r"p99 ([\d.NaN]+) ms", line).group(1)
stored = a1 - a0
print(f"  accepted by the peer: {stored} records; CPU gateway {(g1 - g0) / hz * 1e6 / max(replies, 1):.1f} µs/msg, peer {(p1 - p0) / hz * 1e6 / max(replies, 1):.1f} µs/msg")
print(f"RESULT {table} gateway msgs_s={replies / secs:.0f} p50_ms={p50} p99_ms={p99} accepted={stored} replies={replies} "
      f"cpu_us={(g1 - g0) / hz * 1e6 / max(replies, 1):.1f} peer_cpu_us={(p1 - p0) / hz * 1e6 / max(replies, 1):.1f} rss_mb={rss // 1024}")
PY
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); refused by the peer: $(ask refused)"
grep -i "error\|fail" "$WORK/gateway.log" | head -5 || true
exit 0
