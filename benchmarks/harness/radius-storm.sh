#!/usr/bin/env bash
# RADIUS attach storm: a Release gateway with RADIUS accounting on loopback and auto-registration into one group,
# then `radius-storm` sends Accounting-Request Start packets, each for a new IMSI and address, open loop at RATE per
# second for SECONDS, and reports per second sent, answered and reply latency (p50/p99/max). The target (issue 18):
# 5,000/s answered without latency growing over the run. radclient (freeradius-utils) first checks that one packet
# of the same shape is answered, so a failure of the benchmark's own client is told apart from the gateway's.
#
#   benchmarks/harness/radius-storm.sh [RATE] [SECONDS]        default 5000 60
#   SEED_SUBSCRIBERS=1000000 benchmarks/harness/radius-storm.sh   the same against a registry of a million SIMs
#                                                                 (generated, loaded from the seed at start)
set -euo pipefail
cd "$(dirname "$0")/../.."
. benchmarks/harness/lib.sh
RATE=${1:-5000}; SECONDS_=${2:-60}; SECRET=storm-secret
need radclient freeradius-utils
build_release Gateway/Gateway.csproj
build_release benchmarks/Gateway.Benchmarks/Gateway.Benchmarks.csproj
harness_begin
BENCH=benchmarks/Gateway.Benchmarks/bin/Release/net10.0/Gateway.Benchmarks.dll

if [ -n "${SEED_SUBSCRIBERS:-}" ]; then
  # The generated registry (groups fleet-0..3), with the storm's group added.
  dotnet "$BENCH" registry-seed "$SEED_SUBSCRIBERS" "$WORK/big.json"
  python3 - "$WORK/big.json" "$WORK/seed.json" <<'PY'
import re, sys
src, dst = sys.argv[1:]
text = open(src).read()
text, n = re.subn(r'"groups"\s*:\s*\[', '"groups": [{"groupId": "storm"}, ', text, count=1)
assert n == 1
open(dst, "w").write(text)
PY
  rm "$WORK/big.json"
else
  echo '{ "groups": [ { "groupId": "storm" } ], "subscribers": [] }' > "$WORK/seed.json"
fi

GA=$(free_port); GR=$(free_port)
dotnet Gateway/bin/Release/net10.0/gateway.dll --registry "$WORK/seed.json" --data-dir "$WORK/d" --admin-port "$GA" \
  --listen-address 127.0.0.1 --http-port 0 --website-port 0 --unified-port 0 --tcp-port 0 --mqtt-port 0 \
  --device-http-port 0 --mqtt-pipeline-port 0 --root-auth-key-id keyId-b --root-auth-key secret-bench-0123456789 \
  --Gateway:Radius:Enabled true --Gateway:Radius:Listen "127.0.0.1:$GR" \
  --Gateway:Radius:Clients:0:Address 127.0.0.1/32 --Gateway:Radius:Clients:0:Secret "$SECRET" \
  --Gateway:Radius:AutoRegisterGroupId storm \
  --Logging:LogLevel:Default Warning > "$WORK/gateway.log" 2>&1 & PIDS+=($!)
GATEWAY_PID=${PIDS[-1]}
started=$(date +%s.%N)
for _ in $(seq 1500); do curl -sf "http://127.0.0.1:$GA/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$GA/healthz" >/dev/null || { echo "gateway did not start"; tail -20 "$WORK/gateway.log"; exit 1; }
echo "gateway up in $(python3 -c "import time; print(round(time.time() - $started, 1))") s, rss $(( $(rss_kib "$GATEWAY_PID") / 1024 )) MiB"

# One request by radclient: the real client's packet must be answered (and auto-register its IMSI).
printf 'Acct-Status-Type = Start\nFramed-IP-Address = 100.127.255.254\nNAS-Identifier = "radclient"\nAcct-Session-Id = "check"\n3GPP-IMSI = "440989999999999"\n' \
  | radclient -x -r 1 -t 5 "127.0.0.1:$GR" acct "$SECRET" | grep -q "Accounting-Response" \
  || { echo "radclient's Accounting-Request was not answered"; tail -20 "$WORK/gateway.log"; exit 1; }
echo "radclient: Accounting-Response received"

cpu0=$(awk '{print $14+$15}' "/proc/$GATEWAY_PID/stat")
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
out=$(dotnet "$BENCH" radius-storm "127.0.0.1:$GR" "$SECRET" "$RATE" "$SECONDS_")
echo "$out"
cpu1=$(awk '{print $14+$15}' "/proc/$GATEWAY_PID/stat")
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
answered=$(sed -nE 's/^radius-storm:.* answered ([0-9]+) .*/\1/p' <<<"$out")
echo "gateway CPU $(( (cpu1 - cpu0) * 10 )) ms over the storm ($(( (cpu1 - cpu0) * 10000 / (answered > 0 ? answered : 1) )) µs per answered request), rss $(( $(rss_kib "$GATEWAY_PID") / 1024 )) MiB"
# What became of each datagram, by the gateway's own count (ok, overloaded = dropped with the queue full, …).
curl -sf "http://127.0.0.1:$GA/metrics" | grep '^gateway_radius_accounting_requests' || true
gc_pauses "$GA"
grep -E "Error|fail" "$WORK/gateway.log" | sort | uniq -c | sort -rn | head -5 || true
summary=$(grep '^radius-storm:' <<<"$out")
python3 - "$summary" "$RATE" <<'PY'
import re, sys
line, rate = sys.argv[1], sys.argv[2]
m = re.search(r"answered (\d+) \(([\d.]+) %\).*p50 ([\d.NaN]+) ms, p99 ([\d.NaN]+) ms; first half p99 ([\d.NaN]+) ms, second half p99 ([\d.NaN]+) ms", line)
if m:
    print(f"RESULT radius-storm gateway rate={rate} answered_pct={m.group(2)} p50_ms={m.group(3)} p99_ms={m.group(4)} p99_first_ms={m.group(5)} p99_second_ms={m.group(6)}")
PY
