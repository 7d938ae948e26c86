#!/usr/bin/env bash
# UDP→Kinesis through the gateway into kinesalite (tests/tools/kinesalite, an in-memory Kinesis on Node):
#   UDP datagrams → unified port → Funnel envelope → Kinesis adapter (PutRecords, SigV4 by AWSSDK.Core, key = IMSI)
#   → stream "bench" (SHARDS shards); "200" to the device only after kinesalite answered the PutRecords.
# Closed loop (benchmarks/Gateway.Benchmarks udp-load: CONCURRENCY datagrams in flight from 127.0.0.1, each waiting
# for its reply) for DURATION seconds after a warm-up, ROUNDS times; the replies/s and p50/p99 reply latency are the
# load tool's, the records stored are counted afterwards with GetRecords over every shard (so a reply that was not
# a delivery would show as a shortfall), with the gateway's and kinesalite's CPU ticks and RSS.
# kinesalite is not the cloud: one Node process, no network, no shard throughput limits, no replication. The figures
# say what the gateway's path costs, not what Kinesis takes.
# Usage: benchmarks/harness/udp-to-kinesis.sh [seconds]   (env: CONCURRENCY=64 ROUNDS=2 SHARDS=4 WARMUP=3)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}; CONCURRENCY=${CONCURRENCY:-64}; ROUNDS=${ROUNDS:-2}; SHARDS=${SHARDS:-4}; WARMUP=${WARMUP:-3}
. benchmarks/harness/lib.sh

[ -d tests/tools/kinesalite/node_modules/kinesalite ] || npm ci --prefix tests/tools/kinesalite --no-audit --no-fund --loglevel=error
build_bench
harness_begin

# Example keys in AWS's documented form: kinesalite checks that requests are signed, not by whom.
KEY=AKIAIOSFODNN7EXAMPLE; SECRET=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
KP=$(free_port)
(cd tests/tools/kinesalite && exec node -e "require('kinesalite')({createStreamMs:20}).listen($KP,'127.0.0.1')") > "$WORK/kinesalite.log" 2>&1 & PIDS+=($!)
KINESALITE_PID=${PIDS[-1]}
for _ in $(seq 100); do curl -s "http://127.0.0.1:$KP/" >/dev/null 2>&1 && break; sleep 0.1; done

# kinesis ACTION JSON: one signed Kinesis JSON 1.1 call to kinesalite (curl signs SigV4 itself).
kinesis() {
  curl -sf --aws-sigv4 "aws:amz:us-east-1:kinesis" --user "$KEY:$SECRET" -H "Content-Type: application/x-amz-json-1.1" \
    -H "X-Amz-Target: Kinesis_20131202.$1" -d "$2" "http://127.0.0.1:$KP/"
}
kinesis CreateStream "{\"StreamName\":\"bench\",\"ShardCount\":$SHARDS}" >/dev/null
sleep 0.5

# count_records: sets COUNT to the records stored since the previous call, shard by shard (each shard's iterator is
# kept between calls, so a round reads only its own records; not run in a subshell, which would lose them).
declare -A ITERATORS
count_records() {
  local total=0 shard it out n
  for shard in $(kinesis DescribeStream '{"StreamName":"bench"}' | python3 -c 'import json,sys; [print(s["ShardId"]) for s in json.load(sys.stdin)["StreamDescription"]["Shards"]]'); do
    it=${ITERATORS[$shard]:-$(kinesis GetShardIterator "{\"StreamName\":\"bench\",\"ShardId\":\"$shard\",\"ShardIteratorType\":\"TRIM_HORIZON\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ShardIterator"])')}
    while :; do
      out=$(kinesis GetRecords "{\"ShardIterator\":\"$it\",\"Limit\":10000}" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["Records"]), d["NextShardIterator"])')
      n=${out%% *}; it=${out#* }
      [ "$n" -gt 0 ] || break
      total=$((total + n))
    done
    ITERATORS[$shard]=$it
  done
  COUNT=$total
}

cat > "$WORK/seed.json" <<SEED
{ "credentials": [ { "credentialsId": "bench-aws", "type": "aws-credentials", "credentials": { "accessKeyId": "$KEY", "secretAccessKey": "$SECRET" } } ],
  "groups": [ { "groupId": "bench", "configuration": { "SoracomFunnel": { "enabled": true, "contentType": "json", "credentialsId": "bench-aws",
    "destination": { "provider": "aws", "service": "kinesis", "resourceUrl": "http://127.0.0.1:$KP/bench" } } } } ],
  "subscribers": [ { "imsi": "440100000000001", "groupId": "bench", "ipAddress": "127.0.0.1" } ] }
SEED

start_udp_gateway

rss() { awk '/VmRSS/ {print int($2/1024) " MiB"}' "/proc/$1/status"; }
check=$($BENCH udp-load "127.0.0.1:$GU" 1 1)
echo "check: $check"
count_records
[ "$COUNT" -gt 0 ] || { echo "nothing reached kinesalite"; cat "$WORK/gateway.log"; exit 1; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  $BENCH udp-load "127.0.0.1:$GU" "$WARMUP" "$CONCURRENCY" >/dev/null
  count_records
  g0=$(ticks "$GATEWAY_PID"); k0=$(ticks "$KINESALITE_PID")
  load=$($BENCH udp-load "127.0.0.1:$GU" "$DURATION" "$CONCURRENCY")
  g1=$(ticks "$GATEWAY_PID"); k1=$(ticks "$KINESALITE_PID")
  count_records; stored=$COUNT
  echo "round $round, closed loop ($CONCURRENCY in flight, $DURATION s): $load"
  echo "  stored in kinesalite: $stored records; CPU over the window: gateway $(( (g1 - g0) * 10 )) ms, kinesalite $(( (k1 - k0) * 10 )) ms;" \
       "RSS gateway $(rss "$GATEWAY_PID"), kinesalite $(rss "$KINESALITE_PID")"
  result udp-kinesis gateway $(udp_load_kv "$load") stored="$stored" \
    cpu_us="$(python3 -c "print(f'{($g1 - $g0) / $(getconf CLK_TCK) * 1e6 / max($stored, 1):.1f}')")" \
    peer_cpu_us="$(python3 -c "print(f'{($k1 - $k0) / $(getconf CLK_TCK) * 1e6 / max($stored, 1):.1f}')")"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -i "error\|fail" "$WORK/gateway.log" | head -5 || true
exit 0
