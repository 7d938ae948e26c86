#!/usr/bin/env bash
# Memory per idle device connection (goal ≤ 10 KiB each), against mosquitto's per idle MQTT client:
#   mqtt-relay     gateway Beam MQTT port: CONNECT relayed, so each device holds an upstream session (to a mosquitto)
#   mqtt-pipeline  gateway MQTT pipeline port (MQTT terminated in the gateway, for Funnel/Harvest)
#   tcp            gateway unified port, TCP→HTTP: connected, nothing sent (no upstream connection until data)
#   mosquitto      mosquitto itself, MQTT clients connected straight to it
#   mqtt-relay-tls (only when named in SIDES) the MQTT relay to an mqtts:// upstream: mosquitto with a TLS listener and
#                  a self-signed certificate made here (openssl), trusted through the entry's caCertificate
# benchmarks/Gateway.Benchmarks idle-conns opens COUNT connections from 127.0.0.1 (MQTT 3.1.1 CONNECT, keepalive
# 1200 s, CONNACK awaited), a fresh server per side after a 16-connection warm-up; KiB per connection = growth of the
# server's resident memory (VmRSS) ÷ connections accepted, read a few seconds after the last was open. Kernel socket
# buffers are not in RSS (for either side). The gateway holds two descriptors per relayed MQTT connection, this
# machine's hard limit is 20,000 per process and the gateway keeps a tenth of it free (Hosting/DescriptorBudget: past
# 18,000 it refuses, about 8,900 relayed connections), so the relay side opens RELAY_COUNT (default 8,500).
# For each gateway side it also prints the managed bytes allocated per connection during the burst (/metrics,
# dotnet_gc_heap_total_allocated_bytes, live or not: the figure the RSS growth mostly follows, steadier under load) and
# the gateway's CPU time per connection. SIDES picks sides (default all four), e.g. SIDES=mqtt-relay.
# GATEWAY_DLL runs another build (an A/B). Installs mosquitto when missing.
# Usage: benchmarks/harness/idle-connections.sh [count]   (env RELAY_COUNT, SETTLE=3, SIDES, GATEWAY_DLL)
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${1:-10000}; RELAY_COUNT=${RELAY_COUNT:-$((COUNT < 8500 ? COUNT : 8500))}; SETTLE=${SETTLE:-3}
SIDES=" ${SIDES:-mqtt-relay mqtt-pipeline tcp mosquitto} "
side_on() { [[ "$SIDES" == *" $1 "* ]]; }
. benchmarks/harness/lib.sh
need mosquitto mosquitto
harness_begin
build_bench
ulimit -n "$(ulimit -Hn)"

mosquitto_start() { # NAME PORT: a broker of its own on loopback; sets MOSQUITTO_PID
  mkdir -p "$WORK/$1"
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest file %s\nmax_connections -1\n' "$2" "$WORK/$1/log" > "$WORK/$1/mosquitto.conf"
  mosquitto -c "$WORK/$1/mosquitto.conf" > /dev/null 2>&1 & PIDS+=($!)
  MOSQUITTO_PID=${PIDS[-1]}
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && break; sleep 0.1; done
}
gateway_start() { # PORT-ARGUMENTS…: a fresh gateway; sets GATEWAY_PID. Tried again with another admin port when the
  # first did not come up: on this shared machine a port free_port found can be taken before the gateway binds it.
  local attempt
  for attempt in 1 2 3; do
    gateway_try "$@" && return 0
    echo "  gateway did not start (attempt $attempt): $(tail -3 "$WORK/gateway-$GA.log" | tr '\n' ' ')" >&2
    stop "$GATEWAY_PID"
  done
  return 1
}
gateway_try() {
  local ga; ga=$(free_port); GA=$ga
  dotnet "${GATEWAY_DLL:-Gateway/bin/Release/net10.0/gateway.dll}" --registry "${SEED:-$WORK/seed.json}" --data-dir "$WORK/d-$ga" --admin-port "$ga" \
    --listen-address 127.0.0.1 --http-port 0 --website-port 0 --unified-port 0 --tcp-port 0 --mqtt-port 0 --device-http-port 0 \
    --mqtt-pipeline-port 0 "$@" --root-auth-key-id keyId-b --root-auth-key secret-bench-0123456789 \
    --Gateway:Beam:MaxConnectionsPerDevice 30000 --Gateway:Beam:MaxConnections 30000 \
    --Logging:LogLevel:Default Warning > "$WORK/gateway-$ga.log" 2>&1 & PIDS+=($!)
  GATEWAY_PID=${PIDS[-1]}
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$ga/healthz" >/dev/null 2>&1 && return 0; kill -0 "$GATEWAY_PID" 2>/dev/null || return 1; sleep 0.2; done
  return 1
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
# allocated SIDE: the gateway's managed bytes allocated so far (nothing for mosquitto)
allocated() { [ "$1" = mosquitto ] || curl -s "http://127.0.0.1:$GA/metrics" | awk '/^dotnet_gc_heap_total_allocated_bytes/ {print $2}'; }

# measure SIDE PORT KIND COUNT PID: warm-up, baseline, COUNT idle connections, RESULT line
measure() {
  local base after out="$WORK/idle-$1.out" holder ok a0 a1 t0 t1
  $BENCH idle-conns "127.0.0.1:$2" 16 "$3" 127.0.0.1 0.5 "warm-$1" >/dev/null
  sleep 1; base=$(rss_kib "$5"); a0=$(allocated "$1"); t0=$(awk '{print $14 + $15}' "/proc/$5/stat")
  $BENCH idle-conns "127.0.0.1:$2" "$4" "$3" 127.0.0.1 600 "idle-$1" > "$out" & holder=$!
  for _ in $(seq 600); do grep -q '^ready' "$out" && break; sleep 0.5; done
  sleep "$SETTLE"; after=$(rss_kib "$5"); a1=$(allocated "$1"); t1=$(awk '{print $14 + $15}' "/proc/$5/stat")
  ok=$(grep -o 'ok=[0-9]*' "$out" | cut -d= -f2)
  echo "  $1: $(head -1 "$out"); RSS $((base / 1024)) → $((after / 1024)) MiB$( [ -z "$a0" ] || python3 -c "
ok = max($ok, 1); print(f'; allocated {($a1 - $a0) / ok / 1024:.2f} KiB, CPU {($t1 - $t0) / $(getconf CLK_TCK) * 1e6 / ok:.0f} µs per connection')")"
  result idle "$1" connections="$ok" failed="$(grep -o 'failed=[0-9]*' "$out" | cut -d= -f2)" \
    kib_per_conn="$(python3 -c "print(f'{($after - $base) / max($ok, 1):.1f}')")" rss_before_mb=$((base / 1024)) rss_after_mb=$((after / 1024))
  stop "$holder"
}

UPSTREAM=$(free_port)
mosquitto_start upstream "$UPSTREAM"
UP_HTTP=$(free_port)   # nothing listens: the TCP connections stay idle, no upstream is ever asked
cat > "$WORK/seed.json" <<SEED
{ "groups": [ { "groupId": "bench", "configuration": { "SoracomBeam": {
    "mqtt://beam.soracom.io:1883": { "destination": "mqtt://127.0.0.1:$UPSTREAM", "enabled": true, "addSubscriberHeader": true },
    "tcp://beam.soracom.io:23080": { "destination": "http://127.0.0.1:$UP_HTTP/", "enabled": true, "addSubscriberHeader": true } },
    "SoracomHarvest": { "enabled": true } } } ],
  "subscribers": [ { "imsi": "440101234567890", "groupId": "bench", "ipAddress": "127.0.0.1" } ] }
SEED

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(mosquitto -h 2>/dev/null | head -1)"
if side_on mqtt-relay; then
  P=$(free_port); gateway_start --mqtt-port "$P"
  measure mqtt-relay "$P" mqtt "$RELAY_COUNT" "$GATEWAY_PID"; echo "    upstream mosquitto RSS $(( $(rss_kib "$MOSQUITTO_PID") / 1024 )) MiB"; stop "$GATEWAY_PID"
fi
if side_on mqtt-relay-tls; then
  # A certificate for 127.0.0.1, its own CA; mosquitto serves it, the entry trusts it (caCertificate).
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
  TLS_UP=$(free_port); mkdir -p "$WORK/upstream-tls"
  # As root mosquitto drops to its own user, which could not read the key in this private directory: it stays root here.
  printf 'user root\nlistener %s 127.0.0.1\ncertfile %s\nkeyfile %s\nallow_anonymous true\npersistence false\nlog_dest file %s\nmax_connections -1\n' \
    "$TLS_UP" "$WORK/tls.crt" "$WORK/tls.key" "$WORK/upstream-tls/log" > "$WORK/upstream-tls/mosquitto.conf"
  mosquitto -c "$WORK/upstream-tls/mosquitto.conf" > /dev/null 2>&1 & PIDS+=($!); TLS_MOSQUITTO_PID=${PIDS[-1]}
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$TLS_UP") 2>/dev/null && break; sleep 0.1; done
  python3 - "$WORK/tls.crt" "$TLS_UP" > "$WORK/seed-tls.json" <<'PY'
import json, sys
ca = open(sys.argv[1]).read()
entry = {"destination": f"mqtts://127.0.0.1:{sys.argv[2]}", "enabled": True, "addSubscriberHeader": True, "caCertificate": ca}
print(json.dumps({"groups": [{"groupId": "bench", "configuration": {"SoracomBeam": {"mqtt://beam.soracom.io:1883": entry}}}],
                  "subscribers": [{"imsi": "440101234567890", "groupId": "bench", "ipAddress": "127.0.0.1"}]}))
PY
  P=$(free_port); SEED="$WORK/seed-tls.json" gateway_start --mqtt-port "$P"
  measure mqtt-relay-tls "$P" mqtt "$RELAY_COUNT" "$GATEWAY_PID"; echo "    upstream mosquitto (TLS) RSS $(( $(rss_kib "$TLS_MOSQUITTO_PID") / 1024 )) MiB"
  stop "$GATEWAY_PID"; stop "$TLS_MOSQUITTO_PID"
fi
if side_on mqtt-pipeline; then
  P=$(free_port); gateway_start --mqtt-pipeline-port "$P"
  measure mqtt-pipeline "$P" mqtt "$COUNT" "$GATEWAY_PID"; stop "$GATEWAY_PID"
fi
if side_on tcp; then
  P=$(free_port); gateway_start --unified-port "$P"
  measure tcp "$P" tcp "$COUNT" "$GATEWAY_PID"; stop "$GATEWAY_PID"
fi
if side_on mosquitto; then
  P=$(free_port); mosquitto_start direct "$P"
  measure mosquitto "$P" mqtt "$COUNT" "$MOSQUITTO_PID"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
