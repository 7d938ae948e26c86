#!/usr/bin/env bash
# Side-by-side HTTP benchmark, all on loopback in one run:
#   direct   wrk -> upstream (nginx returning a fixed 200)
#   nginx    wrk -> nginx proxy_pass with static x-soracom-* headers -> upstream
#   gateway  wrk -> gateway HTTP entry point (identity + SORACOM signature) -> upstream
# Peak: wrk -t2 -c64. Latency under light load: wrk -t1 -c4 (closed loop, four requests in flight). Debian's wrk
# cannot hold a fixed rate (its delay() hook has millisecond resolution, too coarse at these rates), so "half of
# peak" is approximated by this light, fixed concurrency, the same for all three paths. Prints a Markdown table.
# Needs: wrk, nginx-light, dotnet. Usage: benchmarks/harness/http-side-by-side.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-15}
. benchmarks/harness/lib.sh
harness_begin


# Two nginx instances: the upstream (one worker), and the proxy under test (its own, so that its CPU time can be read
# from its processes: the figure least disturbed by other work on a shared machine).
start_http_paths

peak() { wrk -t2 -c64 -d"${DURATION}s" --latency "$1" > "$WORK/peak.txt"; awk '/Requests\/sec/ {print $2}' "$WORK/peak.txt"; }
# peak RPS and the proxy's CPU microseconds per request, for a URL and the proxy's process
peak_cpu() {
  local t0 t1 rps; t0=$(ticks "$2"); rps=$(peak "$1"); t1=$(ticks "$2")
  echo "$rps $(python3 -c "print(f'{($t1-$t0)*1e6/$(getconf CLK_TCK)/($rps*$DURATION):.1f}')")"
}
latency_at() { # url -> "p50 p99 rps" (ms)
  wrk -t1 -c4 -d"${DURATION}s" --latency "$1" > "$WORK/lat.txt"
  python3 - "$WORK/lat.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)" % label, text, re.M)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
rps = re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)
print(f"{ms('50'):.3f} {ms('99'):.3f} {float(rps):.0f}")
PY
}

# Warm-up, so the JIT and connection pools are not measured.
wrk -t2 -c64 -d5s "http://127.0.0.1:$GH/" >/dev/null; wrk -t2 -c64 -d3s "http://127.0.0.1:$NP/" >/dev/null

D_PEAK=$(peak "http://127.0.0.1:$UP/")
read -r N_PEAK N_CPU <<<"$(peak_cpu "http://127.0.0.1:$NP/" "$NGINX_PROXY_PID")"
read -r G_PEAK G_CPU <<<"$(peak_cpu "http://127.0.0.1:$GH/" "$GATEWAY_PID")"
read -r D50 D99 DR <<<"$(latency_at "http://127.0.0.1:$UP/")"
read -r N50 N99 NR <<<"$(latency_at "http://127.0.0.1:$NP/")"
read -r G50 G99 GR <<<"$(latency_at "http://127.0.0.1:$GH/")"
grep -q '^HTTP/1.1 200' <(curl -si "http://127.0.0.1:$GH/") || { echo "gateway did not answer 200" >&2; exit 1; }

echo "| path | peak RPS (wrk -t2 -c64, ${DURATION}s) | proxy CPU µs per request at peak | light load RPS (wrk -t1 -c4) | p50 ms | p99 ms |"
echo "|---|---:|---:|---:|---:|---:|"
echo "| direct to upstream | $D_PEAK | | $DR | $D50 | $D99 |"
echo "| nginx proxy_pass + static identity headers | $N_PEAK | $N_CPU | $NR | $N50 | $N99 |"
echo "| gateway: identity + SORACOM signature | $G_PEAK | $G_CPU | $GR | $G50 | $G99 |"
python3 - "$G_PEAK" "$N_PEAK" "$G99" "$D99" "$G_CPU" "$N_CPU" <<'PY'
import sys
g, n, g99, d99, gc, nc = map(float, sys.argv[1:])
print(f"\nratio gateway/nginx (peak RPS): {g/n:.2f}; CPU per request gateway/nginx: {gc/nc:.2f}; p99 added over direct under light load: {g99-d99:.3f} ms")
PY
