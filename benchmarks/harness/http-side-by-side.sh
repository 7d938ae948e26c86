#!/usr/bin/env bash
# Side-by-side HTTP benchmark, all on loopback in one run:
#   direct   load -> upstream (nginx returning a fixed 200)
#   nginx    load -> nginx proxy_pass with four static x-soracom-* headers -> upstream
#   haproxy  load -> HAProxy with the same four static headers -> upstream
#   gateway  load -> gateway HTTP entry point (identity + a fresh SORACOM signature per request) -> upstream
# Peak: wrk -t2 -c64 for DURATION seconds, with the proxy's own CPU time over the run (user + system from /proc: the
# figure least moved by other work on a shared machine) and wrk's p99 at that load. Then each path at half of its
# own peak, open loop (benchmarks/LoadGen: requests due at fixed times, latency from the intended send time, so a
# stall counts for every request queued behind it; Debian's wrk cannot hold a fixed rate). Prints a Markdown table
# and RESULT lines for benchmarks/run-all. Installs nginx-light, haproxy and wrk when their commands are missing.
# Usage: benchmarks/harness/http-side-by-side.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-15}
. benchmarks/harness/lib.sh
need nginx nginx-light; need haproxy haproxy; need wrk wrk
harness_begin

build_release benchmarks/LoadGen
# Two nginx instances: the upstream (one worker), and the proxy under test (its own, so that its CPU time can be read
# from its processes); HAProxy; the gateway.
start_http_paths
start_haproxy_proxy
grep -q '^HTTP/1.1 200' <(curl -si "http://127.0.0.1:$GH/") || { echo "gateway did not answer 200" >&2; exit 1; }
grep -q '^HTTP/1.1 200' <(curl -si "http://127.0.0.1:$HP/") || { echo "haproxy did not answer 200" >&2; exit 1; }

# peak URL [PID] -> "rps p99_ms cpu_us" (cpu_us empty without a PID)
peak() {
  local t0=0 t1=0; [ -z "${2:-}" ] || t0=$(ticks "$2")
  wrk -t2 -c64 -d"${DURATION}s" --latency "$1" > "$WORK/peak.txt"
  [ -z "${2:-}" ] || t1=$(ticks "$2")
  python3 - "$WORK/peak.txt" "$t0" "$t1" "$(getconf CLK_TCK)" "$DURATION" "${2:-}" <<'PY'
import re, sys
text = open(sys.argv[1]).read(); t0, t1, hz, d = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)", text, re.M)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
cpu = f"{(t1 - t0) * 1e6 / hz / (rps * d):.1f}" if sys.argv[6] else "-"
print(f"{rps:.0f} {p99:.3f} {cpu}")
PY
}
kv() { grep -o "\b$1=[^ ]*" <<<"$2" | cut -d= -f2; }
# half URL PEAK -> "p99_ms achieved errors": open loop at half of PEAK, 64 connections
half() {
  local line
  line=$(dotnet benchmarks/LoadGen/bin/Release/net10.0/loadgen.dll --url "$1" --rate $(($2 / 2)) --duration "$DURATION" --connections 64)
  echo "$(kv p99_ms "$line") $(kv rate_achieved "$line") $(kv errors "$line")"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Warm-up, so the JIT and connection pools are not measured.
wrk -t2 -c64 -d5s "http://127.0.0.1:$GH/" >/dev/null; wrk -t2 -c64 -d3s "http://127.0.0.1:$NP/" >/dev/null
wrk -t2 -c64 -d3s "http://127.0.0.1:$HP/" >/dev/null

declare -A URL=([direct]="http://127.0.0.1:$UP/" [nginx]="http://127.0.0.1:$NP/" [haproxy]="http://127.0.0.1:$HP/" [gateway]="http://127.0.0.1:$GH/")
declare -A PID=([direct]="" [nginx]="$NGINX_PROXY_PID" [haproxy]="$HAPROXY_PID" [gateway]="$GATEWAY_PID")
declare -A LABEL=([direct]="direct to upstream" [nginx]="nginx proxy_pass + static identity headers"
  [haproxy]="HAProxy + static identity headers" [gateway]="gateway: identity + SORACOM signature")
SIDES=(direct nginx haproxy gateway)
declare -A RPS P99 CPU H99 HRATE HERR
for s in "${SIDES[@]}"; do read -r RPS[$s] P99[$s] CPU[$s] <<<"$(peak "${URL[$s]}" "${PID[$s]}")"; done
for s in "${SIDES[@]}"; do read -r H99[$s] HRATE[$s] HERR[$s] <<<"$(half "${URL[$s]}" "${RPS[$s]}")"; done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "| path | peak RPS (wrk -t2 -c64, ${DURATION}s) | proxy CPU µs per request at peak | p99 ms at peak | half of peak req/s (achieved) | p99 ms at half of peak (open loop) | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for s in "${SIDES[@]}"; do
  echo "| ${LABEL[$s]} | ${RPS[$s]} | ${CPU[$s]} | ${P99[$s]} | $((${RPS[$s]} / 2)) (${HRATE[$s]}) | ${H99[$s]} | ${HERR[$s]} |"
  result http "$s" peak_rps="${RPS[$s]}" cpu_us="${CPU[$s]}" p99_peak_ms="${P99[$s]}" half_rps="$((${RPS[$s]} / 2))" p99_half_ms="${H99[$s]}" half_errors="${HERR[$s]}"
done
python3 - "${RPS[gateway]}" "${RPS[nginx]}" "${RPS[haproxy]}" "${CPU[gateway]}" "${CPU[nginx]}" "${CPU[haproxy]}" <<'PY'
import sys
g, n, h, gc, nc, hc = map(float, sys.argv[1:])
print(f"\nratio gateway/nginx (peak RPS): {g/n:.2f}, gateway/haproxy: {g/h:.2f}; CPU per request gateway/nginx: {gc/nc:.2f}, gateway/haproxy: {gc/hc:.2f}")
PY
