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
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.5; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
UP=$(free_port); NP=$(free_port); GH=$(free_port); GA=$(free_port)

cat > "$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/body; proxy_temp_path $WORK/proxy; fastcgi_temp_path $WORK/fcgi; uwsgi_temp_path $WORK/uwsgi; scgi_temp_path $WORK/scgi;
  keepalive_requests 1000000;
  upstream backend { server 127.0.0.1:$UP; keepalive 128; }
  server { listen 127.0.0.1:$UP; location / { return 200 "ok\n"; } }
  server { listen 127.0.0.1:$NP;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header x-soracom-imsi 440101234567890;
      proxy_set_header x-soracom-timestamp 1445587157992;
      proxy_set_header x-soracom-signature 95c8e34d68e2bd76502c1e403108dc1bd7008964c31081d0415adb9f21a721a5;
      proxy_set_header x-soracom-signature-version 20151001;
    }
  }
}
CONF
nginx -c "$WORK/nginx.conf" -p "$WORK" -g "daemon off;" & PIDS+=($!)

cat > "$WORK/seed.json" <<SEED
{ "groups": [ { "groupId": "bench", "configuration": { "SoracomBeam": {
    "http://beam.soracom.io:8888/": { "destination": "http://127.0.0.1:$UP/", "addSubscriberHeader": true, "addSignature": true, "psk": "topsecret" } } } } ],
  "subscribers": [ { "imsi": "440101234567890", "groupId": "bench", "ipAddress": "127.0.0.1" } ] }
SEED
dotnet build -c Release Gateway/Gateway.csproj -v q -nologo >/dev/null
dotnet Gateway/bin/Release/net10.0/gateway.dll --registry "$WORK/seed.json" --data-dir "$WORK/data" --admin-port "$GA" \
  --listen-address 127.0.0.1 --http-port "$GH" --website-port 0 --unified-port 0 --tcp-port 0 \
  --root-auth-key-id keyId-bench --root-auth-key secret-bench-0123456789 --Logging:LogLevel:Default Warning > "$WORK/gateway.log" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GA/healthz" >/dev/null 2>&1 && curl -sf "http://127.0.0.1:$NP/" >/dev/null 2>&1 && break; sleep 0.2; done

peak() { wrk -t2 -c64 -d"${DURATION}s" --latency "$1" > "$WORK/peak.txt"; awk '/Requests\/sec/ {print $2}' "$WORK/peak.txt"; }
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

D_PEAK=$(peak "http://127.0.0.1:$UP/"); N_PEAK=$(peak "http://127.0.0.1:$NP/"); G_PEAK=$(peak "http://127.0.0.1:$GH/")
read -r D50 D99 DR <<<"$(latency_at "http://127.0.0.1:$UP/")"
read -r N50 N99 NR <<<"$(latency_at "http://127.0.0.1:$NP/")"
read -r G50 G99 GR <<<"$(latency_at "http://127.0.0.1:$GH/")"
grep -q '^HTTP/1.1 200' <(curl -si "http://127.0.0.1:$GH/") || { echo "gateway did not answer 200" >&2; exit 1; }

echo "| path | peak RPS (wrk -t2 -c64, ${DURATION}s) | light load RPS (wrk -t1 -c4) | p50 ms | p99 ms |"
echo "|---|---:|---:|---:|---:|"
echo "| direct to upstream | $D_PEAK | $DR | $D50 | $D99 |"
echo "| nginx proxy_pass + static identity headers | $N_PEAK | $NR | $N50 | $N99 |"
echo "| gateway: identity + SORACOM signature | $G_PEAK | $GR | $G50 | $G99 |"
python3 - "$G_PEAK" "$N_PEAK" "$G99" "$D99" <<'PY'
import sys
g, n, g99, d99 = map(float, sys.argv[1:])
print(f"\nratio gateway/nginx (peak RPS): {g/n:.2f}; p99 added over direct under light load: {g99-d99:.3f} ms")
PY
