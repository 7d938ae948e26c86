# Helpers the harness scripts share. Source it from the repository root, then call harness_begin.

# apt_ensure PACKAGE…: installs the Debian packages not installed yet (nothing when all are, so a second run does no
# network work). Their services must not start (nginx would take port 80, rsyslog the system log): a policy-rc.d that
# refuses service starts is put in place for the install only, when there is none.
apt_ensure() {
  local missing=() p policy="" SUDO=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  echo "installing ${missing[*]}" >&2
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null; $SUDO chmod +x /usr/sbin/policy-rc.d; policy=1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  [ -z "$policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d
}

# need COMMAND PACKAGE…: the packages, installed only when COMMAND is missing (nginx may come from another nginx
# package than nginx-light, which would conflict; the command is what the scripts need).
need() { local c=$1; shift; command -v "$c" >/dev/null 2>&1 || apt_ensure "$@"; }
# Daemons (nginx, haproxy, mosquitto, rsyslogd) live in sbin, which a non-root PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

# result TABLE SIDE key=value…: the machine-readable line benchmarks/run-all collects into benchmarks/RESULTS.md
# (benchmarks/harness/results.py knows each table's columns and which side is the gateway).
result() { echo "RESULT $*"; }

# watch_kv NAME "kafka-watch line": the line's delivery rate and NAME's CPU per message and RSS as key=value pairs.
watch_kv() {
  python3 - "$1" "$2" <<'PY'
import re, sys
name, line = sys.argv[1], sys.argv[2]
rate = re.search(r"= (\d+) msg/s", line)
proc = re.search(re.escape(name) + r" cpu (\d+)% = ([\d.NaN]+) µs/msg, rss (\d+) MB", line)
out = [f"msgs_s={rate.group(1) if rate else '?'}"]
if proc:
    out += [f"cpu_us={proc.group(2)}", f"cpu_pct={proc.group(1)}", f"rss_mb={proc.group(3)}"]
print(" ".join(out))
PY
}

# udp_load_kv "udp-load line": its rate, latency and losses as key=value pairs.
udp_load_kv() {
  sed -E 's/^replies ([0-9]+) in ([0-9.]+) s = ([0-9]+) msg\/s; lost ([0-9]+); p50 ([0-9.NaN]+) ms; p99 ([0-9.NaN]+) ms.*/msgs_s=\3 p50_ms=\5 p99_ms=\6 lost=\4/' <<<"$1"
}

# rss_kib PID: resident memory of a process, KiB.
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# harness_begin: a scratch directory (WORK) and a list of started processes (PIDS), both cleaned up on exit.
harness_begin() {
  WORK=$(mktemp -d)
  PIDS=()
  trap harness_cleanup EXIT
}
harness_cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.5; rm -rf "$WORK"; }

# build_release PROJECT: a Release build, skipped when benchmarks/run-all has built everything already.
build_release() { [ -n "${RUN_ALL_BUILT:-}" ] || dotnet build -c Release "$1" -v q -nologo >/dev/null; }

# build_bench: the gateway and the benchmark tools built (Release); sets BENCH, the command that runs the tools.
build_bench() {
  build_release Gateway/Gateway.csproj
  build_release benchmarks/Gateway.Benchmarks/Gateway.Benchmarks.csproj
  BENCH="dotnet benchmarks/Gateway.Benchmarks/bin/Release/net10.0/Gateway.Benchmarks.dll"
}

# A free TCP port on 127.0.0.1 that this run has not handed out before: a port is free once bound and closed, so two
# calls in a row can return the same one (three-instances.sh once got one port for a gateway's HTTP and admin ports).
# The ports handed out are listed in $WORK/.ports (not tracked before harness_begin).
free_port() {
  local list=/dev/null; [ -z "${WORK:-}" ] || list="$WORK/.ports"
  python3 - "$list" <<'PY'
import socket, sys
path = sys.argv[1]
try:
    used = set(open(path).read().split())
except OSError:
    used = set()
for _ in range(100):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = str(s.getsockname()[1]); s.close()
    if port not in used:
        break
open(path, "a").write(port + "\n")
print(port)
PY
}

# Starts an nginx of its own under $WORK/NAME with the given http{} contents; WORKERS (default 1) sets its workers.
nginx_conf() {
  mkdir -p "$WORK/$1"
  cat > "$WORK/$1/nginx.conf" <<CONF
worker_processes ${WORKERS:-1};
pid $WORK/$1/nginx.pid;
error_log $WORK/$1/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/$1/body; proxy_temp_path $WORK/$1/proxy; fastcgi_temp_path $WORK/$1/fcgi; uwsgi_temp_path $WORK/$1/uwsgi; scgi_temp_path $WORK/$1/scgi;
  keepalive_requests 1000000;
  $2
}
CONF
  nginx -c "$WORK/$1/nginx.conf" -p "$WORK/$1" -g "daemon off;" & PIDS+=($!)
}

# The three-path HTTP setup the side-by-side, half-peak and system-call scripts share.
# start_upstream: nginx answering 200 "ok" on a free port; sets UP.
start_upstream() {
  UP=$(free_port)
  nginx_conf upstream "server { listen 127.0.0.1:$UP; location / { return 200 \"ok\\n\"; } }"
}

# start_nginx_proxy "proxy_set_header …; …": nginx proxy_pass to $UP (kept-alive connections) adding the given static
# headers; WORKERS as for nginx_conf. Sets NP and NGINX_PROXY_PID.
start_nginx_proxy() {
  NP=$(free_port)
  nginx_conf proxy "upstream backend { server 127.0.0.1:$UP; keepalive 128; }
  server { listen 127.0.0.1:$NP; location / { proxy_pass http://backend; proxy_http_version 1.1;
    proxy_set_header Connection \"\"; $1 } }"
  NGINX_PROXY_PID=${PIDS[-1]}
}

# The four identity headers nginx adds as static values, standing for the gateway's per-request ones.
STATIC_IDENTITY_HEADERS="proxy_set_header x-soracom-imsi 440101234567890;
    proxy_set_header x-soracom-timestamp 1445587157992;
    proxy_set_header x-soracom-signature 95c8e34d68e2bd76502c1e403108dc1bd7008964c31081d0415adb9f21a721a5;
    proxy_set_header x-soracom-signature-version 20151001;"

# write_seed: $WORK/seed.json, one device at 127.0.0.1 whose group forwards :8888/ to $UP with IMSI and signature.
write_seed() {
  cat > "$WORK/seed.json" <<SEED
{ "groups": [ { "groupId": "bench", "configuration": { "SoracomBeam": {
    "http://beam.soracom.io:8888/": { "destination": "http://127.0.0.1:$UP/", "addSubscriberHeader": true, "addSignature": true, "psk": "topsecret" } } } } ],
  "subscribers": [ { "imsi": "440101234567890", "groupId": "bench", "ipAddress": "127.0.0.1" } ] }
SEED
}

# start_gateway [VAR=value …]: a built gateway (Release) with only its HTTP device port on, the given environment
# added, serving $WORK/seed.json; waits until it answers. Sets GH (HTTP port), GA (admin port) and GATEWAY_PID.
start_gateway() {
  GH=$(free_port); GA=$(free_port)
  env "$@" dotnet Gateway/bin/Release/net10.0/gateway.dll --registry "$WORK/seed.json" --data-dir "$WORK/data-$GH" \
    --admin-port "$GA" --listen-address 127.0.0.1 --http-port "$GH" --website-port 0 --unified-port 0 --tcp-port 0 \
    --mqtt-port 0 --root-auth-key-id keyId-bench --root-auth-key secret-bench-0123456789 \
    --Logging:LogLevel:Default Warning > "$WORK/gateway-$GH.log" 2>&1 & PIDS+=($!)
  GATEWAY_PID=${PIDS[-1]}
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GA/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
}

# start_udp_gateway: a built gateway (Release, or $GATEWAY_DLL) with only the unified port on and UDP admission
# opened up for load (no rate limit, $UDP_IN_FLIGHT — default 1,024 — in flight per device), serving $WORK/seed.json;
# waits until it answers.
# Sets GU (unified port), GA (admin port) and GATEWAY_PID. The start of every UDP→destination script.
start_udp_gateway() {
  GU=$(free_port); GA=$(free_port)
  dotnet "${GATEWAY_DLL:-Gateway/bin/Release/net10.0/gateway.dll}" --registry "$WORK/seed.json" --data-dir "$WORK/d" --admin-port "$GA" \
    --listen-address 127.0.0.1 --http-port 0 --website-port 0 --unified-port "$GU" --tcp-port 0 --mqtt-port 0 \
    --device-http-port 0 --mqtt-pipeline-port 0 --root-auth-key-id keyId-b --root-auth-key secret-bench-0123456789 \
    --Gateway:Beam:UdpRatePerDevice 0 --Gateway:Beam:UdpMaxInFlightPerDevice "${UDP_IN_FLIGHT:-1024}" \
    --Logging:LogLevel:Default Warning > "$WORK/gateway.log" 2>&1 & PIDS+=($!)
  GATEWAY_PID=${PIDS[-1]}
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GA/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
}

# start_http_paths [VAR=value …]: the three paths the side-by-side, half-peak and relay-floor scripts compare: the
# upstream, nginx proxying to it with the static identity headers (worker_processes auto), and the gateway, built and
# started with start_gateway's arguments. Waits until nginx's proxy answers.
start_http_paths() {
  start_upstream
  WORKERS=auto start_nginx_proxy "$STATIC_IDENTITY_HEADERS"
  write_seed
  build_release Gateway/Gateway.csproj
  start_gateway "$@"
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$NP/" >/dev/null 2>&1 && break; sleep 0.2; done
}

# start_haproxy_proxy: HAProxy (Debian) in front of $UP with the same four static identity headers as nginx's proxy,
# kept-alive upstream connections, one process with a thread per core (its default). Sets HP and HAPROXY_PID.
start_haproxy_proxy() {
  HP=$(free_port)
  mkdir -p "$WORK/haproxy"
  cat > "$WORK/haproxy/haproxy.cfg" <<CONF
global
  maxconn 8192
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend relay
  bind 127.0.0.1:$HP
  http-request set-header x-soracom-imsi 440101234567890
  http-request set-header x-soracom-timestamp 1445587157992
  http-request set-header x-soracom-signature 95c8e34d68e2bd76502c1e403108dc1bd7008964c31081d0415adb9f21a721a5
  http-request set-header x-soracom-signature-version 20151001
  default_backend upstream
backend upstream
  http-reuse always
  server up 127.0.0.1:$UP
CONF
  haproxy -db -f "$WORK/haproxy/haproxy.cfg" > "$WORK/haproxy/out.log" 2>&1 & PIDS+=($!)
  HAPROXY_PID=${PIDS[-1]}
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$HP/" >/dev/null 2>&1 && break; sleep 0.1; done
}

# gc_pauses ADMIN_PORT: one line from a gateway's gateway_gc_pause_seconds histogram (every pause since it started):
# how many, their total, how many took over 5, 10 and 25 ms. The tail of a latency figure is often one of these.
gc_pauses() {
  curl -sf "http://127.0.0.1:$1/metrics" | python3 -c '
import re, sys
le, count, total = {}, 0.0, 0.0
for line in sys.stdin:
    m = re.match(r"gateway_gc_pause_seconds_(bucket|count|sum)\{(.*)\} (\S+)", line)
    if not m: continue
    kind, labels, v = m.group(1), m.group(2), float(m.group(3))
    if kind == "bucket": b = re.search(r"le=\"([^\"]+)\"", labels).group(1); le[b] = le.get(b, 0) + v
    elif kind == "count": count += v
    else: total += v
o5, o10, o25 = (count - le.get(b, count) for b in ("0.005", "0.01", "0.025"))
print(f"gateway GC pauses since start: {count:.0f}, {total * 1000:.0f} ms in all; over 5 ms {o5:.0f}, over 10 ms {o10:.0f}, over 25 ms {o25:.0f}")
' || echo "gateway GC pauses: metrics not readable"
}

# ticks PID: CPU time (user + system, clock ticks) of a process and its children still running (nginx's workers).
ticks() { local t=0 p; for p in $1 $(pgrep -P "$1" || true); do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo $t; }

# start_kafka_mock: librdkafka's mock cluster (tests/tools/KafkaMock, built) on loopback, fed an open stdin so it stays
# up. Sets KAFKA (its bootstrap address) and KAFKA_PID.
start_kafka_mock() {
  mkfifo "$WORK/kafka-mock.in"
  exec 7<>"$WORK/kafka-mock.in"
  dotnet tests/tools/KafkaMock/bin/Release/net10.0/KafkaMock.dll <&7 >"$WORK/kafka-mock.out" 2>"$WORK/kafka-mock.err" & PIDS+=($!)
  KAFKA_PID=${PIDS[-1]}
  for _ in $(seq 100); do [ -s "$WORK/kafka-mock.out" ] && break; sleep 0.1; done
  KAFKA=$(head -1 "$WORK/kafka-mock.out")
}

# funnel_seed FILE TOPIC N: a registry with one group whose Funnel puts JSON into kafka://$KAFKA/TOPIC and N devices
# at 127.0.0.1 … 127.0.0.N (IMSIs 44010123456780001 …). Sets SOURCES (the addresses, comma-separated).
funnel_seed() {
  local subs="" i
  SOURCES=""
  for i in $(seq "$3"); do
    subs+="${subs:+,}{ \"imsi\": \"44010$(printf '%010d' "$i")\", \"groupId\": \"bench\", \"ipAddress\": \"127.0.0.$i\" }"
    SOURCES+="${SOURCES:+,}127.0.0.$i"
  done
  cat > "$1" <<SEED
{ "groups": [ { "groupId": "bench", "configuration": { "SoracomFunnel": { "enabled": true, "contentType": "json",
    "destination": { "provider": "kafka", "service": "kafka", "resourceUrl": "kafka://$KAFKA/$2" } } } } ],
  "subscribers": [ $subs ] }
SEED
}

# start_kafka_bench: builds the gateway, the Kafka mock and the load tools, sets BENCH (the load tools' command) and
# starts one Kafka mock cluster (KAFKA, KAFKA_PID): the common start of the scripts that deliver into Kafka.
start_kafka_bench() {
  build_release tests/tools/KafkaMock/KafkaMock.csproj
  build_bench
  start_kafka_mock
  echo "Kafka mock cluster at $KAFKA (pid $KAFKA_PID)"
}
