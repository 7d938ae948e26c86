#!/usr/bin/env bash
# System calls and context switches per proxied request, counted by the kernel (perf's software events), for an
# nginx proxy and for the gateway with and without inline I/O completions (Gateway:Beam:InlineIoCompletions).
# Counts, unlike timings, hardly move with other work on a shared machine. Same upstream (nginx, 200 "ok") for all.
# Needs: wrk, nginx-light, linux-perf, dotnet. Usage: benchmarks/harness/http-syscalls.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-5}
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.5; rm -rf "$WORK"; }
trap cleanup EXIT
. benchmarks/harness/lib.sh
UP=$(free_port); NP=$(free_port)

nginx_conf upstream "server { listen 127.0.0.1:$UP; location / { return 200 \"ok\\n\"; } }"
nginx_conf proxy "upstream backend { server 127.0.0.1:$UP; keepalive 128; }
  server { listen 127.0.0.1:$NP; location / { proxy_pass http://backend; proxy_http_version 1.1;
    proxy_set_header Connection \"\"; proxy_set_header x-soracom-imsi 440101234567890; } }"
NGINX_PROXY_PID=${PIDS[-1]}

cat > "$WORK/seed.json" <<SEED
{ "groups": [ { "groupId": "bench", "configuration": { "SoracomBeam": {
    "http://beam.soracom.io:8888/": { "destination": "http://127.0.0.1:$UP/", "addSubscriberHeader": true, "addSignature": true, "psk": "topsecret" } } } } ],
  "subscribers": [ { "imsi": "440101234567890", "groupId": "bench", "ipAddress": "127.0.0.1" } ] }
SEED
dotnet build -c Release Gateway/Gateway.csproj -v q -nologo >/dev/null

# url, comma-separated pids, label: one wrk run, perf counting the middle of it
measure() {
  wrk -t2 -c64 -d"$((DURATION + 2))s" "$1" > "$WORK/wrk.txt" & local wrk_pid=$!
  sleep 1
  perf stat -x, -e raw_syscalls:sys_enter,context-switches -p "$2" -o "$WORK/perf.txt" -- sleep "$DURATION"
  wait "$wrk_pid"
  python3 - "$WORK/wrk.txt" "$WORK/perf.txt" "$3" "$DURATION" <<'PY'
import re, sys
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", open(sys.argv[1]).read()).group(1))
counts = {line.split(",")[2]: float(line.split(",")[0]) for line in open(sys.argv[2]) if line.count(",") > 2 and line[0].isdigit()}
requests = rps * float(sys.argv[4])
print(f"| {sys.argv[3]} | {rps:,.0f} | {counts['raw_syscalls:sys_enter'] / requests:.2f} | {counts['context-switches'] / requests:.3f} |")
PY
}

echo "| proxy | RPS during the count | system calls per request | context switches per request |"
echo "|---|---:|---:|---:|"
measure "http://127.0.0.1:$NP/" "$NGINX_PROXY_PID,$(pgrep -P "$NGINX_PROXY_PID" | paste -sd,)" "nginx proxy_pass (one worker)"
# Each gateway row is one Gateway:Beam setting (Key=Value) over the defaults; the first is the defaults themselves.
CONFIGS=${CONFIGS:-"DirectRelay=true InlineIoCompletions=false DirectRelay=false"}
for config in $CONFIGS; do
  GH=$(free_port); GA=$(free_port); key=${config%%=*}; inline=${config#*=}
  env "Gateway__Beam__$key=$inline" dotnet Gateway/bin/Release/net10.0/gateway.dll --registry "$WORK/seed.json" \
    --data-dir "$WORK/data-$key-$inline" --admin-port "$GA" --listen-address 127.0.0.1 --http-port "$GH" --website-port 0 \
    --unified-port 0 --tcp-port 0 --mqtt-port 0 --root-auth-key-id keyId-bench --root-auth-key secret-bench-0123456789 \
    --Logging:LogLevel:Default Warning > "$WORK/gateway-$key-$inline.log" 2>&1 & PIDS+=($!)
  gateway_pid=${PIDS[-1]}
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GA/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  wrk -t2 -c64 -d5s "http://127.0.0.1:$GH/" >/dev/null   # warm-up: JIT, connection pool
  measure "http://127.0.0.1:$GH/" "$gateway_pid" "gateway, $key=$inline"
  kill "$gateway_pid"; wait "$gateway_pid" 2>/dev/null || true
done
