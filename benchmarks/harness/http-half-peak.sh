#!/usr/bin/env bash
# p99 latency at half of peak load, open loop (issue #4: "p99 added over direct, goal <= 1 ms at half of peak load").
# Same setup as http-side-by-side.sh, all on loopback in one run:
#   direct   load -> upstream (nginx returning a fixed 200)
#   nginx    load -> nginx proxy_pass with static x-soracom-* headers -> upstream
#   gateway  load -> gateway HTTP entry point (identity + SORACOM signature) -> upstream
# Peaks are measured with wrk -t2 -c64. Then benchmarks/LoadGen sends at exactly RATE = half of the gateway's peak,
# and again at half of nginx's peak, to all three paths: open loop, requests spread evenly over time, latency from
# each request's intended send time to the last byte of its response (coordinated omission corrected, like wrk2;
# Debian's wrk cannot hold a fixed rate). The load generator shares the machine's cores with what it measures.
# Runs under flock /tmp/bench.lock, so it never overlaps another benchmark on this machine. Prints Markdown tables.
# Needs: wrk, nginx-light, dotnet, python3. Usage: benchmarks/harness/http-half-peak.sh [seconds]
# HALF_PEAK_NGINX=0 skips the second table (half of nginx's peak).
set -euo pipefail
if [ -z "${HTTP_HALF_PEAK_LOCKED:-}" ]; then
  HTTP_HALF_PEAK_LOCKED=1 exec flock /tmp/bench.lock "$0" "$@"
fi
cd "$(dirname "$0")/../.."
DURATION=${1:-15}
. benchmarks/harness/lib.sh
harness_begin

dotnet build -c Release benchmarks/LoadGen -v q -nologo >/dev/null
start_http_paths
grep -q '^HTTP/1.1 200' <(curl -si "http://127.0.0.1:$GH/") || { echo "gateway did not answer 200" >&2; exit 1; }

peak() { wrk -t2 -c64 -d"${DURATION}s" "$1" | awk '/Requests\/sec/ {printf "%.0f\n", $2}'; }
# load URL RATE -> the load generator's key=value line, plus loadgen_cpu_pct (its CPU time over the run, % of a core)
load() {
  local t0 t1 line
  local cmd=(dotnet benchmarks/LoadGen/bin/Release/net10.0/loadgen.dll --url "$1" --rate "$2" --duration "$DURATION" --connections 64)
  if [ ! -x /usr/bin/time ]; then echo "$("${cmd[@]}") loadgen_cpu_pct=?"; return; fi
  t0=$(date +%s.%N); line=$(/usr/bin/time -f "%U %S" -o "$WORK/time.txt" "${cmd[@]}"); t1=$(date +%s.%N)
  echo "$line loadgen_cpu_pct=$(python3 -c "u,s=open('$WORK/time.txt').read().split()[-2:]; print(f'{(float(u)+float(s))*100/($t1-$t0):.0f}')")"
}
kv() { grep -o "\b$1=[^ ]*" <<<"$2" | cut -d= -f2; }
row() { # label line
  echo "| $1 | $(kv rate_target "$2") | $(kv rate_achieved "$2") | $(kv p50_ms "$2") | $(kv p99_ms "$2") | $(kv p999_ms "$2") | $(kv max_ms "$2") | $(kv errors "$2") | $(kv loadgen_cpu_pct "$2") % |"
}
# table TITLE RATE: runs the three paths at RATE, prints the table; leaves the p99s in D99 N99 G99
table() {
  local d n g
  d=$(load "http://127.0.0.1:$UP/" "$2"); n=$(load "http://127.0.0.1:$NP/" "$2"); g=$(load "http://127.0.0.1:$GH/" "$2")
  echo
  echo "$1"
  echo
  echo "| path | target req/s | achieved req/s | p50 ms | p99 ms | p99.9 ms | max ms | errors | load generator CPU |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  row "direct to upstream" "$d"
  row "nginx proxy_pass + static identity headers" "$n"
  row "gateway: identity + SORACOM signature" "$g"
  D99=$(kv p99_ms "$d"); N99=$(kv p99_ms "$n"); G99=$(kv p99_ms "$g")
  RAW+=("$d" "$n" "$g")
}
RAW=()
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
added() { python3 -c "import sys; d,n,g=map(float,sys.argv[1:]); print(f'{g-d:.3f} ms (gateway), {n-d:.3f} ms (nginx)')" "$@"; }

echo "load average before: $(loadavg)"
# Warm-up, so the JIT and connection pools are not measured.
wrk -t2 -c64 -d5s "http://127.0.0.1:$GH/" >/dev/null; wrk -t2 -c64 -d3s "http://127.0.0.1:$NP/" >/dev/null

D_PEAK=$(peak "http://127.0.0.1:$UP/"); N_PEAK=$(peak "http://127.0.0.1:$NP/"); G_PEAK=$(peak "http://127.0.0.1:$GH/")
echo "peaks (wrk -t2 -c64, ${DURATION}s): direct $D_PEAK req/s, nginx $N_PEAK req/s, gateway $G_PEAK req/s"
GC_BEFORE=$(gc_pauses "$GA")

table "At half of the gateway's peak ($((G_PEAK / 2)) req/s, open loop, 64 connections, ${DURATION}s each):" $((G_PEAK / 2))
LINE_G="p99 added over direct at half of gateway peak: $(added "$D99" "$N99" "$G99")"
if [ "${HALF_PEAK_NGINX:-1}" != 0 ]; then
  table "At half of nginx's peak ($((N_PEAK / 2)) req/s):" $((N_PEAK / 2))
  echo
  echo "p99 added over direct at half of nginx peak: $(added "$D99" "$N99" "$G99")"
fi
echo "load average after: $(loadavg)"
echo "before the half-peak tables, $GC_BEFORE"
echo "after them, $(gc_pauses "$GA")"
echo
echo "load generator output (direct, nginx, gateway per table; svc_* is latency from the actual send):"
printf '    %s\n' "${RAW[@]}"
echo
echo "$LINE_G"
