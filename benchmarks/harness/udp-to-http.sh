#!/usr/bin/env bash
# UDP→HTTP throughput: the load generator (benchmarks/Gateway.Benchmarks udp-load) sends JSON datagrams from
# loopback to the gateway's unified port; the gateway POSTs each, signed, to an nginx upstream and returns
# "200 ok". Closed loop: each of CONCURRENCY sockets waits for its reply before the next send. All sockets are one
# device, so its rate limit (UdpRatePerDevice, 1,000/s by default) is turned off: this measures the path, not the limit.
# Usage: benchmarks/harness/udp-to-http.sh [seconds] [concurrency]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}; CONCURRENCY=${2:-64}
. benchmarks/harness/lib.sh
harness_begin
UP=$(free_port); GU=$(free_port); GA=$(free_port)
cat > "$WORK/n.conf" <<CONF
worker_processes 1; pid $WORK/n.pid; error_log $WORK/e.log; events { worker_connections 4096; }
http { access_log off; client_body_temp_path $WORK/b; proxy_temp_path $WORK/p; fastcgi_temp_path $WORK/f; uwsgi_temp_path $WORK/u; scgi_temp_path $WORK/s;
  server { listen 127.0.0.1:$UP; location / { return 200 "ok"; } } }
CONF
cat > "$WORK/seed.json" <<SEED
{ "groups": [ { "groupId": "bench", "configuration": { "SoracomBeam": {
    "udp://beam.soracom.io:23080": { "destination": "http://127.0.0.1:$UP/", "addSubscriberHeader": true, "addSignature": true, "psk": "topsecret" } } } } ],
  "subscribers": [ { "imsi": "440101234567890", "groupId": "bench", "ipAddress": "127.0.0.1" } ] }
SEED
dotnet build -c Release Gateway/Gateway.csproj -v q -nologo >/dev/null
dotnet build -c Release benchmarks/Gateway.Benchmarks/Gateway.Benchmarks.csproj -v q -nologo >/dev/null
nginx -c "$WORK/n.conf" -p "$WORK" -g "daemon off;" & PIDS+=($!)
dotnet Gateway/bin/Release/net10.0/gateway.dll --registry "$WORK/seed.json" --data-dir "$WORK/d" --admin-port "$GA" --listen-address 127.0.0.1 \
  --http-port 0 --website-port 0 --unified-port "$GU" --tcp-port 0 --root-auth-key-id keyId-b --root-auth-key secret-bench-0123456789 \
  --Gateway:Beam:UdpRatePerDevice 0 --Logging:LogLevel:Default Warning >/dev/null 2>&1 & PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GA/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
LOAD="dotnet benchmarks/Gateway.Benchmarks/bin/Release/net10.0/Gateway.Benchmarks.dll udp-load 127.0.0.1:$GU"
$LOAD 3 "$CONCURRENCY" >/dev/null   # warm-up
echo "UDP→HTTP, $CONCURRENCY in flight: $($LOAD "$DURATION" "$CONCURRENCY")"
