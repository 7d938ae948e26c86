#!/usr/bin/env bash
# System calls and context switches per proxied request, counted by the kernel (perf's software events), for an
# nginx proxy and for the gateway with and without inline I/O completions (Gateway:Beam:InlineIoCompletions).
# Counts, unlike timings, hardly move with other work on a shared machine. Same upstream (nginx, 200 "ok") for all.
# Needs: wrk, nginx-light, linux-perf, dotnet. Usage: benchmarks/harness/http-syscalls.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-5}
. benchmarks/harness/lib.sh
harness_begin
start_upstream
start_nginx_proxy "proxy_set_header x-soracom-imsi 440101234567890;"
write_seed
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
  key=${config%%=*}; value=${config#*=}
  start_gateway "Gateway__Beam__$key=$value"
  wrk -t2 -c64 -d5s "http://127.0.0.1:$GH/" >/dev/null   # warm-up: JIT, connection pool
  measure "http://127.0.0.1:$GH/" "$GATEWAY_PID" "gateway, $key=$value"
  kill "$GATEWAY_PID"; wait "$GATEWAY_PID" 2>/dev/null || true
done
