#!/usr/bin/env bash
# YARP's IHttpForwarder (benchmarks/YarpProbe, the 2.1.0 DLL referenced directly, as when it was the only version
# served) against the gateway with its default settings (the byte-level relay; its Kestrel path is YARP 2.3.0 since
# 2026-12-03, compared by kestrel-path-before-after.sh), same upstream (nginx returning 200), same run, both adding one
# identity header.
# Alternates the two twice and prints wrk's Requests/sec. Needs wrk, nginx-light, dotnet.
set -euo pipefail
cd "$(dirname "$0")/../.."
. benchmarks/harness/lib.sh
harness_begin
UP=$(free_port); YP=$(free_port); GH=$(free_port); GA=$(free_port)
cat > "$WORK/n.conf" <<CONF
worker_processes 1; pid $WORK/n.pid; error_log $WORK/e.log; events { worker_connections 4096; }
http { access_log off; client_body_temp_path $WORK/b; proxy_temp_path $WORK/p; fastcgi_temp_path $WORK/f; uwsgi_temp_path $WORK/u; scgi_temp_path $WORK/s;
  server { listen 127.0.0.1:$UP; location / { return 200 "ok\n"; } } }
CONF
cat > "$WORK/seed.json" <<SEED
{ "groups": [ { "groupId": "bench", "configuration": { "SoracomBeam": {
    "http://beam.soracom.io:8888/": { "destination": "http://127.0.0.1:$UP/", "addSubscriberHeader": true } } } } ],
  "subscribers": [ { "imsi": "440101234567890", "groupId": "bench", "ipAddress": "127.0.0.1" } ] }
SEED
dotnet build -c Release benchmarks/YarpProbe/YarpProbe.csproj -v q -nologo >/dev/null
dotnet build -c Release Gateway/Gateway.csproj -v q -nologo >/dev/null
nginx -c "$WORK/n.conf" -p "$WORK" -g "daemon off;" & PIDS+=($!)
dotnet benchmarks/YarpProbe/bin/Release/net10.0/YarpProbe.dll "http://127.0.0.1:$UP/" "$YP" & PIDS+=($!)
dotnet Gateway/bin/Release/net10.0/gateway.dll --registry "$WORK/seed.json" --data-dir "$WORK/d" --admin-port "$GA" --listen-address 127.0.0.1 \
  --http-port "$GH" --website-port 0 --unified-port 0 --tcp-port 0 --root-auth-key-id keyId-b --root-auth-key secret-bench-0123456789 \
  --Logging:LogLevel:Default Warning >/dev/null 2>&1 & PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GH/" >/dev/null 2>&1 && curl -sf "http://127.0.0.1:$YP/" >/dev/null 2>&1 && break; sleep 0.2; done
for round in 1 2; do
  for name in yarp gateway; do
    port=$YP; [ "$name" = gateway ] && port=$GH
    wrk -t2 -c64 -d3s "http://127.0.0.1:$port/" >/dev/null
    echo "round $round $name: $(wrk -t2 -c64 -d10s "http://127.0.0.1:$port/" | awk '/Requests\/sec/ {print $2}') req/s"
  done
done
