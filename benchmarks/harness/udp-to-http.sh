#!/usr/bin/env bash
# UDP→HTTP side by side, closed loop (benchmarks/Gateway.Benchmarks udp-load: CONCURRENCY sockets from 127.0.0.1,
# each sending a JSON datagram and waiting for its reply before the next), into one nginx upstream answering 200 "ok":
#   gateway   unified port → identity, SORACOM signature → POST to the upstream → the upstream's answer as the reply
#             (Beam's behaviour). All sockets are one device, so its rate limit (UdpRatePerDevice, 1,000/s by
#             default) and in-flight bound are lifted: this measures the path, not the limits.
#   Node-RED  4 (stock nodes): udp in → function (four static x-soracom-* headers, as nginx's proxy in the HTTP
#             benchmark) → http request (POST, kept-alive connections) → udp out to the sender's address and port,
#             i.e. the same reply. benchmarks/node-red/settings.js keeps its sockets on loopback.
# Each: warm-up, then DURATION seconds; messages/s and p50/p99 reply latency are the load tool's, CPU per message the
# process's own (user + system over the run). ROUNDS rounds, interleaved. Prints RESULT lines for benchmarks/run-all.
# Installs nginx-light when missing and Node-RED 4 into benchmarks/node-red/node_modules (from its lock file).
# Usage: benchmarks/harness/udp-to-http.sh [seconds] [concurrency]   (env ROUNDS=2)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}; CONCURRENCY=${2:-64}; ROUNDS=${ROUNDS:-2}
. benchmarks/harness/lib.sh
need nginx nginx-light
[ -f benchmarks/node-red/node_modules/node-red/red.js ] || npm ci --prefix benchmarks/node-red --no-audit --no-fund --loglevel=error
harness_begin
UP=$(free_port); GU=$(free_port); GA=$(free_port); NU=$(free_port); NA=$(free_port)
nginx_conf upstream "server { listen 127.0.0.1:$UP; location / { return 200 \"ok\"; } }"
cat > "$WORK/seed.json" <<SEED
{ "groups": [ { "groupId": "bench", "configuration": { "SoracomBeam": {
    "udp://beam.soracom.io:23080": { "destination": "http://127.0.0.1:$UP/", "addSubscriberHeader": true, "addSignature": true, "psk": "topsecret" } } } } ],
  "subscribers": [ { "imsi": "440101234567890", "groupId": "bench", "ipAddress": "127.0.0.1" } ] }
SEED
build_release Gateway/Gateway.csproj
build_release benchmarks/Gateway.Benchmarks/Gateway.Benchmarks.csproj
dotnet Gateway/bin/Release/net10.0/gateway.dll --registry "$WORK/seed.json" --data-dir "$WORK/d" --admin-port "$GA" --listen-address 127.0.0.1 \
  --http-port 0 --website-port 0 --unified-port "$GU" --tcp-port 0 --mqtt-port 0 --device-http-port 0 --mqtt-pipeline-port 0 \
  --root-auth-key-id keyId-b --root-auth-key secret-bench-0123456789 \
  --Gateway:Beam:UdpRatePerDevice 0 --Gateway:Beam:UdpMaxInFlightPerDevice 1024 --Logging:LogLevel:Default Warning > "$WORK/gateway.log" 2>&1 & PIDS+=($!)
GATEWAY_PID=${PIDS[-1]}

mkdir -p "$WORK/nr"
cat > "$WORK/nr/flows.json" <<FLOW
[ { "id": "t1", "type": "tab", "label": "udp to http" },
  { "id": "in", "type": "udp in", "z": "t1", "port": "$NU", "ipv": "udp4", "datatype": "buffer", "multicast": "false", "group": "", "iface": "", "wires": [["fn"]] },
  { "id": "fn", "type": "function", "z": "t1", "outputs": 1, "wires": [["req"]],
    "func": "msg.headers = { 'content-type': 'application/json', 'x-soracom-imsi': '440101234567890', 'x-soracom-timestamp': '1445587157992', 'x-soracom-signature': '95c8e34d68e2bd76502c1e403108dc1bd7008964c31081d0415adb9f21a721a5', 'x-soracom-signature-version': '20151001' };\nreturn msg;" },
  { "id": "req", "type": "http request", "z": "t1", "method": "POST", "ret": "txt", "paytoqs": "ignore", "url": "http://127.0.0.1:$UP/", "persist": true, "wires": [["out"]] },
  { "id": "out", "type": "udp out", "z": "t1", "addr": "", "port": "", "ipv": "udp4", "outport": "", "base64": false, "multicast": "false", "wires": [] } ]
FLOW
NODE_RED_DIR="$WORK/nr" NODE_RED_PORT="$NA" node benchmarks/node-red/node_modules/node-red/red.js \
  --settings benchmarks/node-red/settings.js > "$WORK/node-red.log" 2>&1 & PIDS+=($!)
NODE_RED_PID=${PIDS[-1]}

BENCH="dotnet benchmarks/Gateway.Benchmarks/bin/Release/net10.0/Gateway.Benchmarks.dll"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GA/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
for _ in $(seq 60); do $BENCH udp-load "127.0.0.1:$NU" 0.5 1 | grep -q "^replies [1-9]" && break; sleep 0.5; done
$BENCH udp-load "127.0.0.1:$NU" 0.5 1 | grep -q "^replies [1-9]" || { echo "Node-RED did not answer"; cat "$WORK/node-red.log"; exit 1; }
NODE_RED_VERSION=$(node -p "require('./benchmarks/node-red/node_modules/node-red/package.json').version")

# run NAME PORT PID: warm-up, measured closed loop, RESULT line
run() {
  local t0 t1 line
  $BENCH udp-load "127.0.0.1:$2" 3 "$CONCURRENCY" >/dev/null
  t0=$(ticks "$3"); line=$($BENCH udp-load "127.0.0.1:$2" "$DURATION" "$CONCURRENCY"); t1=$(ticks "$3")
  echo "  $1: $line"
  python3 - "$1" "$line" "$t0" "$t1" "$(getconf CLK_TCK)" "$(rss_kib "$3")" <<'PY'
import re, sys
name, line, t0, t1, hz, rss = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
replies = int(re.search(r"replies (\d+)", line).group(1)); secs = float(re.search(r"in ([\d.]+) s", line).group(1))
p99 = re.search(r"p99 ([\d.NaN]+) ms", line).group(1); p50 = re.search(r"p50 ([\d.NaN]+) ms", line).group(1)
lost = re.search(r"lost (\d+)", line).group(1)
cpu = (t1 - t0) / hz * 1e6 / max(replies, 1)
print(f"RESULT udp-http {name} msgs_s={replies / secs:.0f} p50_ms={p50} p99_ms={p99} cpu_us={cpu:.1f} lost={lost} rss_mb={rss // 1024}")
PY
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); Node-RED $NODE_RED_VERSION on Node $(node --version); $CONCURRENCY in flight, ${DURATION}s"
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  run gateway "$GU" "$GATEWAY_PID"
  run node-red "$NU" "$NODE_RED_PID"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
