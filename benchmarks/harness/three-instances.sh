#!/usr/bin/env bash
# Three gateways sharing one PostgreSQL registry behind HAProxy (deploy/haproxy/haproxy.cfg), all on loopback:
#   PostgreSQL (Debian's, a scratch cluster on a free port), an nginx upstream, a socat echo server (Beam TCP→TCP),
#   a mosquitto broker (Beam MQTT), three gateways (own ports and data directories, one store), HAProxy in front of
#   their Beam HTTP (HTTP mode), TCP and MQTT (TCP mode) ports. UDP is not proxied: HAProxy has none.
# HAProxy connects to the gateways from SOURCE (127.0.0.42) and sends each connection's PROXY protocol v2 header; the
# gateways trust SOURCE (Gateway:ProxyProtocol:TrustedProxies), so every device behind HAProxy keeps its own address:
# DEVICE (127.0.0.61), bound to a SIM through RADIUS on instance 1 only, and 127.0.0.1, a SIM with a static address.
# Checks, each printed with its figures:
#   (b) binding: RADIUS Accounting-Start to instance 1 binds DEVICE; time until instances 2 and 3 resolve it
#       (a request from DEVICE straight to each), then requests from DEVICE through HAProxy resolve to its SIM on
#       every backend, and requests from 127.0.0.1 through HAProxy to the other SIM;
#   TCP and MQTT through HAProxy's TCP frontends reach the echo server and the broker, MQTT as DEVICE's SIM;
#   (a) configuration: a Beam customHeaders change PUT through instance 1's admin API; time until a request straight
#       to instance 3 (and 2) carries the new header upstream;
#   (c) kill -9 of instance 2 under load through HAProxy: every request that got a 200 (acknowledged) must be in the
#       upstream's log; errors (not acknowledged) are counted; instance 2 is started again and HAProxy takes it back;
#   (d) throughput through HAProxy with 1, 2 and 3 instances (the others in maintenance through HAProxy's runtime
#       API), wrk -t2 -c64, plus one instance without HAProxy; CPU per request of the gateways and of HAProxy.
# Prints RESULT lines for benchmarks/run-all (tables three-instances and three-instances-checks) and exits non-zero
# when a check fails. Installs haproxy, nginx-light, wrk, socat, mosquitto(-clients), postgresql and freeradius-utils
# when their commands are missing.
# Usage: benchmarks/harness/three-instances.sh [seconds per throughput run (default 10)] [seconds of the kill load (default 8)]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}; KILL_LOAD=${2:-8}
. benchmarks/harness/lib.sh
need haproxy haproxy; need nginx nginx-light; need wrk wrk; need socat socat; need mosquitto mosquitto
need mosquitto_pub mosquitto-clients; need radclient freeradius-utils
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || apt_ensure postgresql
harness_begin
SOURCE=127.0.0.42; DEVICE=127.0.0.61; IMSI_STATIC=440101234567801; IMSI_BOUND=440101234567802
KEY_ID=keyId-three; KEY=secret-three-0123456789; RADIUS_SECRET=radius-three
FAILED=0
check() { if [ "$1" = ok ]; then echo "  ok: $2"; else echo "  FAILED: $2"; FAILED=1; fi; }
now_ms() { date +%s%3N; }

# PostgreSQL: a scratch cluster of its own, trust authentication on 127.0.0.1, run as the postgres user when root
# (as tests/Gateway.Tests/Infrastructure/PostgresServer.cs does). Outside $WORK, which only root may enter.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PG_DIR=$(mktemp -d /tmp/three-pg.XXXXXX); PG_PORT=$(free_port)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" != 0 ] || chown postgres:postgres "$PG_DIR"
stop_postgres() { as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PG_DIR"; }
trap 'harness_cleanup; stop_postgres' EXIT
(cd /tmp && as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 --locale C >/dev/null)
(cd /tmp && as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=200" start >/dev/null)
STORE="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres;Timeout=10"
echo "PostgreSQL $(basename "$(dirname "$PG_BIN")") on 127.0.0.1:$PG_PORT"

# Upstreams. nginx: /c/ID logs each request's path (the kill check; Beam drops the query string on :8888, as
# SORACOM does), everything else echoes what identifies the request.
UP=$(free_port)
nginx_conf upstream "log_format ids '\$uri';
  server { listen 127.0.0.1:$UP;
    location /c/ { access_log $WORK/upstream/ids.log ids; return 200 \"ok\\n\"; }
    location / { return 200 \"imsi=\$http_x_soracom_imsi version=\$http_x_version\\n\"; } }"
ECHO=$(free_port); socat "TCP-LISTEN:$ECHO,bind=127.0.0.1,fork,reuseaddr" EXEC:cat & PIDS+=($!)
BROKER=$(free_port); mosquitto -p "$BROKER" > "$WORK/mosquitto.log" 2>&1 & PIDS+=($!)

http_entry() { # the Beam HTTP entry, with an optional X-Version custom header
  local headers=""; [ -z "${1:-}" ] || headers=", \"customHeaders\": { \"X-Version\": { \"action\": \"replace\", \"headerKey\": \"X-Version\", \"headerValue\": \"$1\" } }"
  echo "{ \"destination\": \"http://127.0.0.1:$UP/\", \"addSubscriberHeader\": true, \"addSignature\": true, \"psk\": \"topsecret\"$headers }"
}
cat > "$WORK/seed.json" <<SEED
{ "groups": [ { "groupId": "three", "configuration": { "SoracomBeam": {
    "http://beam.soracom.io:8888/": $(http_entry v1),
    "tcp://beam.soracom.io:8023": { "destination": "tcp://127.0.0.1:$ECHO" },
    "mqtt://beam.soracom.io:1883": { "destination": "mqtt://127.0.0.1:$BROKER", "addSubscriberHeader": true } } } } ],
  "subscribers": [ { "imsi": "$IMSI_STATIC", "groupId": "three", "ipAddress": "127.0.0.1" },
                   { "imsi": "$IMSI_BOUND", "groupId": "three" } ] }
SEED

build_release Gateway/Gateway.csproj
declare -A HTTP TCP MQTT ADMIN RADIUS GPID
for n in 1 2 3; do HTTP[$n]=$(free_port); TCP[$n]=$(free_port); MQTT[$n]=$(free_port); ADMIN[$n]=$(free_port); RADIUS[$n]=$(free_port); done
# start_instance N: gateway N on its ports and data directory, the shared store; instance 1 also loads the seed.
# The throughput runs are wrk's 64 connections from one device (127.0.0.1), through HAProxy or not: the per-device
# connection bound (64) is raised so that none of them is refused.
start_instance() {
  local n=$1 seed=()
  [ "$n" != 1 ] || seed=(--registry "$WORK/seed.json")
  dotnet Gateway/bin/Release/net10.0/gateway.dll "${seed[@]}" --no-demo --data-dir "$WORK/data-$n" \
    --store postgresql --store-connection "$STORE" --admin-port "${ADMIN[$n]}" --listen-address 127.0.0.1 \
    --http-port "${HTTP[$n]}" --tcp-port "${TCP[$n]}" --mqtt-port "${MQTT[$n]}" --website-port 0 --unified-port 0 \
    --device-http-port 0 --mqtt-pipeline-port 0 --root-auth-key-id "$KEY_ID" --root-auth-key "$KEY" \
    --Gateway:Radius:Enabled true --radius-listen "127.0.0.1:${RADIUS[$n]}" \
    --Gateway:Radius:Clients:0:Address 127.0.0.1 --Gateway:Radius:Clients:0:Secret "$RADIUS_SECRET" \
    --Gateway:Beam:MaxConnectionsPerDevice 1000 --Gateway:ProxyProtocol:TrustedProxies:0 "$SOURCE" \
    --Logging:LogLevel:Default Warning >> "$WORK/gateway-$n.log" 2>&1 & PIDS+=($!)
  GPID[$n]=$!
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:${ADMIN[$n]}/healthz" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "gateway $n did not become healthy:" >&2; tail -20 "$WORK/gateway-$n.log" >&2; exit 1
}
for n in 1 2 3; do start_instance "$n"; done
echo "gateways: HTTP ${HTTP[1]} ${HTTP[2]} ${HTTP[3]}, admin ${ADMIN[1]} ${ADMIN[2]} ${ADMIN[3]} (pids ${GPID[1]} ${GPID[2]} ${GPID[3]})"

FRONT_HTTP=$(free_port); FRONT_TCP=$(free_port); FRONT_MQTT=$(free_port); STATS=$(free_port)
HAPROXY_SOCKET=$WORK/haproxy.sock
env SOURCE=$SOURCE STATS="$STATS" ADMIN_SOCKET="$HAPROXY_SOCKET" FRONT_HTTP="$FRONT_HTTP" FRONT_TCP="$FRONT_TCP" FRONT_MQTT="$FRONT_MQTT" \
  G1_HTTP="${HTTP[1]}" G1_TCP="${TCP[1]}" G1_MQTT="${MQTT[1]}" G1_ADMIN="${ADMIN[1]}" \
  G2_HTTP="${HTTP[2]}" G2_TCP="${TCP[2]}" G2_MQTT="${MQTT[2]}" G2_ADMIN="${ADMIN[2]}" \
  G3_HTTP="${HTTP[3]}" G3_TCP="${TCP[3]}" G3_MQTT="${MQTT[3]}" G3_ADMIN="${ADMIN[3]}" \
  haproxy -db -f deploy/haproxy/haproxy.cfg > "$WORK/haproxy.log" 2>&1 & PIDS+=($!)
HAPROXY_PID=$!
haproxy_cmd() { socat - "UNIX-CONNECT:$HAPROXY_SOCKET" <<<"$1"; }
# server_states BACKEND -> "g1=UP g2=UP g3=UP" (from HAProxy's CSV statistics)
server_states() { { curl -s "http://127.0.0.1:$STATS/stats;csv" || true; } | awk -F, -v b="$1" '$1==b && $2 ~ /^g[0-9]$/ {printf "%s=%s ", $2, $18}'; }
served() { { curl -s "http://127.0.0.1:$STATS/stats;csv" || true; } | awk -F, -v b="$1" -v s="$2" '$1==b && $2==s {print $8}'; }
for _ in $(seq 100); do [[ "$(server_states gateways_http)" == "g1=UP g2=UP g3=UP " ]] && break; sleep 0.1; done
[[ "$(server_states gateways_http)" == "g1=UP g2=UP g3=UP " ]] || { echo "HAProxy is not up with three instances:" >&2; cat "$WORK/haproxy.log" >&2; exit 1; }
echo "HAProxy on HTTP $FRONT_HTTP, TCP $FRONT_TCP, MQTT $FRONT_MQTT: $(server_states gateways_http)"

body() { curl -s --max-time 5 "$@"; }
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }

echo "(b) a RADIUS binding made on instance 1 resolves on all"
[ "$(status --interface "$DEVICE" "http://127.0.0.1:${HTTP[3]}/")" = 403 ] && check ok "before the binding, $DEVICE is unknown to instance 3 (403)" || check no "$DEVICE known before its binding"
t0=$(now_ms)
radclient -x -r 1 -t 3 "127.0.0.1:${RADIUS[1]}" acct "$RADIUS_SECRET" > "$WORK/radclient.log" 2>&1 <<<"Acct-Status-Type = Start, Framed-IP-Address = $DEVICE, Calling-Station-Id = \"819012345678\", 3GPP-IMSI = \"$IMSI_BOUND\", 3GPP-IMEISV = \"3534900612345691\", Acct-Session-Id = \"three-1\""
t_acked=$(now_ms)
grep -q "Accounting-Response" "$WORK/radclient.log" && check ok "instance 1 answered the Accounting-Start after $((t_acked - t0)) ms" || check no "no Accounting-Response: $(tail -2 "$WORK/radclient.log")"
BIND_MS=""
for n in 3 2; do
  for _ in $(seq 300); do [[ "$(body --interface "$DEVICE" "http://127.0.0.1:${HTTP[$n]}/")" == "imsi=$IMSI_BOUND "* ]] && break; sleep 0.005; done
  t=$(( $(now_ms) - t_acked ))
  [[ "$(body --interface "$DEVICE" "http://127.0.0.1:${HTTP[$n]}/")" == "imsi=$IMSI_BOUND "* ]] && check ok "instance $n resolves $DEVICE to $IMSI_BOUND ${t} ms after the Accounting-Response" || check no "instance $n does not resolve $DEVICE"
  [ -n "$BIND_MS" ] || BIND_MS=$t
done
before=(); for s in g1 g2 g3; do before+=("$(served gateways_http "$s")"); done
ok=0; for _ in $(seq 30); do [[ "$(body --interface "$DEVICE" "http://127.0.0.1:$FRONT_HTTP/")" == "imsi=$IMSI_BOUND "* ]] && ok=$((ok + 1)); done
per=(); i=0; for s in g1 g2 g3; do per+=("$s:$(( $(served gateways_http "$s") - before[i] ))"); i=$((i + 1)); done
[ "$ok" = 30 ] && [[ " ${per[*]}" != *":0"* ]] && check ok "30/30 requests from $DEVICE through HAProxy resolved to its SIM $IMSI_BOUND (PROXY protocol), served by ${per[*]}" || check no "through HAProxy: $ok/30 resolved, served by ${per[*]}"
ok=0; for _ in $(seq 9); do [[ "$(body "http://127.0.0.1:$FRONT_HTTP/")" == "imsi=$IMSI_STATIC "* ]] && ok=$((ok + 1)); done
[ "$ok" = 9 ] && check ok "9/9 requests from 127.0.0.1 through HAProxy resolved to its own SIM $IMSI_STATIC" || check no "from 127.0.0.1 through HAProxy: $ok/9 resolved to $IMSI_STATIC"

echo "TCP and MQTT through HAProxy's TCP mode"
reply=$(printf 'ping-three\n' | timeout 5 socat -t 1 - "TCP:127.0.0.1:$FRONT_TCP" 2>/dev/null || true)
[[ "$reply" == *ping-three* ]] && check ok "Beam TCP→TCP through HAProxy: the echo server's reply came back" || check no "Beam TCP through HAProxy: got '$reply'"
timeout 10 mosquitto_sub -h 127.0.0.1 -p "$BROKER" -t 'bench/#' -C 1 -v > "$WORK/mqtt.out" 2>&1 & sub=$!
sleep 0.5
mosquitto_pub -h 127.0.0.1 -p "$FRONT_MQTT" -A "$DEVICE" -i three-device -q 1 -t bench/t -m hello-three > "$WORK/mqtt-pub.log" 2>&1 || true
wait "$sub" || true
# The relay appends the SIM's IMSI to the topic: DEVICE's own, through HAProxy.
grep -q "^bench/t/$IMSI_BOUND hello-three" "$WORK/mqtt.out" && check ok "Beam MQTT from $DEVICE through HAProxy: the broker got '$(head -1 "$WORK/mqtt.out")'" || check no "Beam MQTT through HAProxy: $(cat "$WORK/mqtt.out" "$WORK/mqtt-pub.log")"

echo "(a) a configuration change through instance 1 applies on all"
token=$(curl -s -X POST -H 'content-type: application/json' -d "{\"authKeyId\":\"$KEY_ID\",\"authKey\":\"$KEY\"}" "http://127.0.0.1:${ADMIN[1]}/v1/auth")
API_KEY=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["apiKey"])' "$token")
TOKEN=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["token"])' "$token")
[[ "$(body "http://127.0.0.1:${HTTP[3]}/")" == *"version=v1" ]] && check ok "before: instance 3 sends X-Version v1" || check no "before: instance 3 does not send v1"
t0=$(now_ms)
code=$(curl -s -o "$WORK/put.json" -w '%{http_code}' -X PUT -H 'content-type: application/json' -H "X-Soracom-API-Key: $API_KEY" -H "X-Soracom-Token: $TOKEN" \
  -d "{ \"http://beam.soracom.io:8888/\": $(http_entry v2) }" "http://127.0.0.1:${ADMIN[1]}/v1/groups/three/configuration/SoracomBeam")
t_put=$(now_ms)
[ "$code" = 200 ] && check ok "PUT through instance 1 answered 200 in $((t_put - t0)) ms" || check no "PUT answered $code: $(cat "$WORK/put.json")"
CONFIG_MS=""
for n in 3 2; do
  for _ in $(seq 400); do [[ "$(body "http://127.0.0.1:${HTTP[$n]}/")" == *"version=v2" ]] && break; sleep 0.005; done
  t=$(( $(now_ms) - t_put ))
  [[ "$(body "http://127.0.0.1:${HTTP[$n]}/")" == *"version=v2" ]] && [ "$t" -le 1000 ] && check ok "instance $n applies it ${t} ms after the PUT's answer" || check no "instance $n: not applied within a second (${t} ms)"
  [ -n "$CONFIG_MS" ] || CONFIG_MS=$t
done
[[ "$(body "http://127.0.0.1:$FRONT_HTTP/")" == *"version=v2" ]] && check ok "through HAProxy: v2" || check no "through HAProxy: not v2"

echo "(c) kill -9 of instance 2 under load through HAProxy (${KILL_LOAD} s, 16 connections)"
python3 - "http://127.0.0.1:$FRONT_HTTP" "$KILL_LOAD" "$WORK/acked.txt" "$WORK/load.json" <<'PY' & load=$!
import http.client, json, sys, threading, time, urllib.parse
url, seconds, acked_path, summary_path = urllib.parse.urlsplit(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
deadline = time.monotonic() + seconds
lock = threading.Lock(); counter = [0]; acked = []; errors = {}
def worker():
    conn = None
    while time.monotonic() < deadline:
        with lock:
            counter[0] += 1; i = counter[0]
        try:
            conn = conn or http.client.HTTPConnection(url.hostname, url.port, timeout=5)
            conn.request("GET", f"/c/{i}")
            r = conn.getresponse(); r.read()
            if r.status == 200:
                with lock: acked.append(i)
            else:
                with lock: errors[str(r.status)] = errors.get(str(r.status), 0) + 1
            if r.getheader("connection", "").lower() == "close":
                conn.close(); conn = None
        except Exception as e:
            with lock: errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
            if conn: conn.close()
            conn = None
threads = [threading.Thread(target=worker) for _ in range(16)]
for t in threads: t.start()
for t in threads: t.join()
open(acked_path, "w").write("\n".join(map(str, acked)) + "\n")
json.dump({"sent": counter[0], "acked": len(acked), "errors": errors}, open(summary_path, "w"))
PY
sleep "$(python3 -c "print($KILL_LOAD / 3)")"
kill -9 "${GPID[2]}"; t_kill=$(now_ms)
for _ in $(seq 100); do [[ "$(server_states gateways_http)" == *"g2=DOWN"* ]] && break; sleep 0.05; done
DOWN_MS=$(( $(now_ms) - t_kill ))
echo "  instance 2 killed; HAProxy marked it DOWN after ${DOWN_MS} ms ($(server_states gateways_http))"
wait "$load"
sleep 0.5   # nginx writes each log line as it answers; the last answers are already written
python3 - "$WORK/acked.txt" "$WORK/upstream/ids.log" "$WORK/load.json" > "$WORK/kill.txt" <<'PY'
import json, sys
acked = [int(l) for l in open(sys.argv[1]) if l.strip()]
arrived = [int(l.strip().removeprefix("/c/")) for l in open(sys.argv[2]) if l.startswith("/c/")]
s = json.load(open(sys.argv[3]))
lost = sorted(set(acked) - set(arrived))
dup = len(arrived) - len(set(arrived))
errors = sum(s["errors"].values())
print(f"sent={s['sent']} acked={len(acked)} arrived={len(set(arrived))} lost={len(lost)} duplicates={dup} errors={errors} kinds={'/'.join(f'{k}:{v}' for k, v in s['errors'].items()) or '-'}")
PY
KILL=$(cat "$WORK/kill.txt")
kv() { grep -o "\b$1=[^ ]*" <<<"$2" | cut -d= -f2; }
[ "$(kv lost "$KILL")" = 0 ] && [ "$(kv acked "$KILL")" -gt 0 ] && check ok "no acknowledged request lost: $KILL" || check no "acknowledged requests lost: $KILL"
start_instance 2; t_up=$(now_ms)
for _ in $(seq 100); do [[ "$(server_states gateways_http)" == *"g2=UP"* ]] && break; sleep 0.05; done
[[ "$(server_states gateways_http)" == *"g2=UP"* ]] && check ok "instance 2 restarted; HAProxy took it back after $(( $(now_ms) - t_up )) ms" || check no "instance 2 not back: $(server_states gateways_http)"

echo "(d) throughput through HAProxy with 1, 2 and 3 instances (wrk -t2 -c64, ${DURATION} s each)"
# run URL -> "rps p99_ms gateway_cpu_us haproxy_cpu_us": wrk's figures, CPU of the three gateways (idle ones cost
# their poll) and of HAProxy per request over the run.
run() {
  local g0 h0 g1 h1
  g0=$(( $(ticks "${GPID[1]}") + $(ticks "${GPID[2]}") + $(ticks "${GPID[3]}") )); h0=$(ticks "$HAPROXY_PID")
  wrk -t2 -c64 -d"${DURATION}s" --latency "$1" > "$WORK/wrk.txt"
  g1=$(( $(ticks "${GPID[1]}") + $(ticks "${GPID[2]}") + $(ticks "${GPID[3]}") )); h1=$(ticks "$HAPROXY_PID")
  python3 - "$WORK/wrk.txt" "$((g1 - g0))" "$((h1 - h0))" "$(getconf CLK_TCK)" "$DURATION" <<'PY'
import re, sys
text = open(sys.argv[1]).read(); g, h, hz, d = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)", text, re.M)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{rps:.0f} {p99:.3f} {g * 1e6 / hz / (rps * d):.1f} {h * 1e6 / hz / (rps * d):.1f} {errors.group(1) if errors else 0}")
PY
}
set_servers() { # the first N instances in service, the rest in maintenance
  local i; for i in 1 2 3; do haproxy_cmd "set server gateways_http/g$i state $([ "$i" -le "$1" ] && echo ready || echo maint)" >/dev/null; done
  sleep 0.5
}
wrk -t2 -c64 -d3s "http://127.0.0.1:$FRONT_HTTP/" > /dev/null   # warm-up: JIT and connection pools of all three
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| setup | req/s | p99 ms | gateways' CPU µs per request | HAProxy CPU µs per request | non-2xx |"
echo "|---|---:|---:|---:|---:|---:|"
declare -A RPS
for n in 1 2 3; do
  set_servers "$n"
  read -r rps p99 gcpu hcpu errs <<<"$(run "http://127.0.0.1:$FRONT_HTTP/")"
  RPS[$n]=$rps
  echo "| HAProxy → $n instance(s) | $rps | $p99 | $gcpu | $hcpu | $errs |"
  result three-instances "$n-instance$([ "$n" = 1 ] || echo s)" rps="$rps" p99_ms="$p99" gateway_cpu_us="$gcpu" haproxy_cpu_us="$hcpu" errors="$errs"
done
read -r rps p99 gcpu _ errs <<<"$(run "http://127.0.0.1:${HTTP[1]}/")"
echo "| instance 1 alone, no HAProxy | $rps | $p99 | $gcpu | - | $errs |"
result three-instances direct-1 rps="$rps" p99_ms="$p99" gateway_cpu_us="$gcpu" errors="$errs"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "scaling on $(nproc) cores: 2 instances / 1 = $(python3 -c "print(f'{${RPS[2]}/${RPS[1]}:.2f}')"), 3 / 1 = $(python3 -c "print(f'{${RPS[3]}/${RPS[1]}:.2f}')")"

result three-instances-checks checks config_apply_ms="$CONFIG_MS" binding_apply_ms="$BIND_MS" kill_acked="$(kv acked "$KILL")" \
  kill_lost="$(kv lost "$KILL")" kill_errors="$(kv errors "$KILL")" kill_duplicates="$(kv duplicates "$KILL")" down_after_ms="$DOWN_MS"
[ "$FAILED" = 0 ] && echo "three-instances: every check passed" || { echo "three-instances: a check FAILED"; exit 1; }
