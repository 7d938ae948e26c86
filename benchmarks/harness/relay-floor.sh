#!/usr/bin/env bash
# Where the gateway's HTTP relay stands between nginx and the least code a Kestrel relay can be (issue #4, ratio goal).
# Three proxies in front of the same upstream (nginx returning a fixed 200), all on loopback, measured in interleaved
# rounds so that the machine's drift (it is shared and noisy: ±15 % between rounds of one proxy) hits all alike:
#   nginx    proxy_pass + four static x-soracom-* headers (as in http-side-by-side.sh)
#   floor    benchmarks/RelayFloor: Kestrel's transport, the gateway's transport settings, static headers, nothing else
#   epoll    benchmarks/EpollFloor: the same relaying on an epoll loop of its own per core (non-blocking sockets,
#            direct system calls, no Kestrel, no pipes, no async): what going under Kestrel's transport could save
#   gateway  the gateway's relay with identity + SORACOM signature
# Each round is wrk -t2 -c64 for SECONDS against one proxy; CPU per request is the proxy's CPU time (all its
# processes) over the requests served. Prints each round, then per proxy the median and minimum. The gap between
# floor and gateway is the relay's own cost; between nginx and floor, Kestrel's and .NET's sockets'.
# Runs under flock /tmp/bench.lock. Needs: wrk, nginx-light, dotnet, python3.
# Usage: benchmarks/harness/relay-floor.sh [seconds per round] [rounds]
set -euo pipefail
if [ -z "${RELAY_FLOOR_LOCKED:-}" ]; then
  RELAY_FLOOR_LOCKED=1 exec flock /tmp/bench.lock "$0" "$@"
fi
cd "$(dirname "$0")/../.."
SECONDS_PER_ROUND=${1:-4}
ROUNDS=${2:-8}
. benchmarks/harness/lib.sh
harness_begin

dotnet build -c Release benchmarks/RelayFloor -v q -nologo >/dev/null
dotnet build -c Release benchmarks/EpollFloor -v q -nologo >/dev/null
start_http_paths
FP=$(free_port)
dotnet benchmarks/RelayFloor/bin/Release/net10.0/relay-floor.dll "$FP" "$UP" & PIDS+=($!)
FLOOR_PID=${PIDS[-1]}
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$FP/" >/dev/null 2>&1 && break; sleep 0.2; done
EP=$(free_port)
dotnet benchmarks/EpollFloor/bin/Release/net10.0/epoll-floor.dll "$EP" "$UP" & PIDS+=($!)
EPOLL_PID=${PIDS[-1]}
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$EP/" >/dev/null 2>&1 && break; sleep 0.2; done
for port in "$NP" "$FP" "$EP" "$GH"; do
  grep -q '^HTTP/1.1 200' <(curl -si "http://127.0.0.1:$port/") || { echo "127.0.0.1:$port did not answer 200" >&2; exit 1; }
  wrk -t2 -c64 -d3s "http://127.0.0.1:$port/" >/dev/null   # warm-up: JIT, connection pools
done

for round in $(seq "$ROUNDS"); do
  for spec in "nginx $NP $NGINX_PROXY_PID" "floor $FP $FLOOR_PID" "epoll $EP $EPOLL_PID" "gateway $GH $GATEWAY_PID"; do
    set -- $spec
    t0=$(ticks "$3"); out=$(wrk -t2 -c64 -d"${SECONDS_PER_ROUND}s" "http://127.0.0.1:$2/"); t1=$(ticks "$3")
    n=$(awk '/requests in/ {print $1}' <<<"$out"); rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    us=$(python3 -c "print(f'{($t1-$t0)*1e6/$(getconf CLK_TCK)/$n:.1f}')")
    echo "round $round $1: $rps req/s, $us µs CPU/request"
    echo "$1 $us $rps" >> "$WORK/samples"
  done
done
python3 - "$WORK/samples" <<'PY'
import collections, statistics, sys
cpu, rps = collections.defaultdict(list), collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, us, r = line.split()
    cpu[name].append(float(us)); rps[name].append(float(r))
print()
print("| proxy | median µs CPU/request | min µs CPU/request | median req/s |")
print("|---|---:|---:|---:|")
for name in cpu:
    print(f"| {name} | {statistics.median(cpu[name]):.1f} | {min(cpu[name]):.1f} | {statistics.median(rps[name]):,.0f} |")
m = {k: statistics.median(v) for k, v in cpu.items()}
print()
print(f"CPU per request, medians: gateway/floor {m['gateway'] / m['floor']:.2f}, floor/nginx {m['floor'] / m['nginx']:.2f}, gateway/nginx {m['gateway'] / m['nginx']:.2f}, epoll/nginx {m['epoll'] / m['nginx']:.2f}, epoll/floor {m['epoll'] / m['floor']:.2f}")
PY
