#!/usr/bin/env bash
# The Kestrel path of the Beam HTTP port (the byte-level relay off: Gateway:Beam:DirectRelay=false, so every request
# goes through Kestrel's HTTP layer and the forwarder) for two builds of the gateway side by side, same upstream
# (nginx returning 200), same seed (IMSI header and a fresh SORACOM signature per request). Rounds alternate the two
# builds, so that a loaded, shared machine moves both alike; each window is wrk -t2 -c64 for DURATION seconds, with
# the gateway's own CPU time over the window (user + system from /proc) per request.
# Usage: benchmarks/harness/kestrel-path-before-after.sh BEFORE_DLL AFTER_DLL [seconds] [rounds]
#   e.g. a build of main in /tmp/main: /tmp/main/Gateway/bin/Release/net10.0/gateway.dll Gateway/bin/Release/net10.0/gateway.dll
#   env GATEWAY_ARGS: more arguments for both gateways, after the defaults (the last value of a key wins), e.g.
#   GATEWAY_ARGS="--Gateway:Beam:DirectRelay true" compares the byte-level relay of the two builds instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
BEFORE=$1; AFTER=$2; DURATION=${3:-5}; ROUNDS=${4:-3}
. benchmarks/harness/lib.sh
need nginx nginx-light; need wrk wrk
harness_begin
start_upstream
write_seed

# start_kestrel_path DLL: that build with only its HTTP port, the relay off; sets KP (port) and KPID.
start_kestrel_path() {
  local http admin
  http=$(free_port); admin=$(free_port)
  dotnet "$1" --registry "$WORK/seed.json" --data-dir "$WORK/data-$http" --admin-port "$admin" --listen-address 127.0.0.1 \
    --http-port "$http" --website-port 0 --unified-port 0 --tcp-port 0 --mqtt-port 0 --device-http-port 0 \
    --mqtt-pipeline-port 0 --root-auth-key-id keyId-bench \
    --root-auth-key secret-bench-0123456789 --Gateway:Beam:DirectRelay false --Logging:LogLevel:Default Warning ${GATEWAY_ARGS:-} \
    > "$WORK/gateway-$http.log" 2>&1 & PIDS+=($!)
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$admin/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  KP=$http; KPID=${PIDS[-1]}
}

start_kestrel_path "$BEFORE"; BP=$KP; BPID=$KPID
start_kestrel_path "$AFTER"; AP=$KP; APID=$KPID
for p in "$BP" "$AP"; do
  grep -q "^HTTP/1.1 200" <(curl -si "http://127.0.0.1:$p/") || { echo "gateway on $p did not answer 200" >&2; curl -si "http://127.0.0.1:$p/" >&2; tail -20 "$WORK/gateway-$p.log" >&2; exit 1; }
  wrk -t2 -c64 -d5s "http://127.0.0.1:$p/" >/dev/null  # warm-up: JIT tiering, pools
done

# window PORT PID -> "rps cpu_us_per_request"
window() {
  local t0 t1
  t0=$(ticks "$2")
  wrk -t2 -c64 -d"${DURATION}s" "http://127.0.0.1:$1/" > "$WORK/w.txt"
  t1=$(ticks "$2")
  python3 - "$WORK/w.txt" "$t0" "$t1" "$(getconf CLK_TCK)" "$DURATION" <<'PY'
import re, sys
text = open(sys.argv[1]).read(); t0, t1, hz, d = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
print(f"{rps:.0f} {(t1 - t0) * 1e6 / hz / (rps * d):.1f}" + (f" non2xx={errors.group(1)}" if errors else ""))
PY
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| round | build | RPS (wrk -t2 -c64, ${DURATION}s) | gateway CPU µs per request |"
echo "|---:|---|---:|---:|"
for round in $(seq "$ROUNDS"); do
  for side in before after; do
    if [ "$side" = before ]; then read -r rps cpu extra <<<"$(window "$BP" "$BPID")"; else read -r rps cpu extra <<<"$(window "$AP" "$APID")"; fi
    echo "| $round | $side | $rps | $cpu ${extra:-}|"
    result kestrel-path "$side" round="$round" rps="$rps" cpu_us="$cpu"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
