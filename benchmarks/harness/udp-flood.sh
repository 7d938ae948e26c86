#!/usr/bin/env bash
# UDP flood fairness: one known device (127.0.45.1) sends datagrams to the unified port as fast as one Python loop can
# while a well-behaved device of the same group (127.0.45.2) sends one every 200 ms and waits up to 2 s for each reply;
# the gateway POSTs what it admits to an nginx upstream. Reports the well-behaved device's answers and p99, the flood's
# rate, and the gateway's RSS before, during (peak) and after the flood.
# Usage: benchmarks/harness/udp-flood.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-15}
. benchmarks/harness/lib.sh
harness_begin
UP=$(free_port); GU=$(free_port); GA=$(free_port)
nginx_conf upstream "server { listen 127.0.0.1:$UP; location / { return 200 \"ok\"; } }"
cat > "$WORK/seed.json" <<SEED
{ "groups": [ { "groupId": "flood", "configuration": { "SoracomBeam": {
    "udp://beam.soracom.io:23080": { "destination": "http://127.0.0.1:$UP/", "addSubscriberHeader": true, "addSignature": true, "psk": "topsecret" } } } } ],
  "subscribers": [ { "imsi": "440101234567451", "groupId": "flood", "ipAddress": "127.0.45.1" },
                   { "imsi": "440101234567452", "groupId": "flood", "ipAddress": "127.0.45.2" } ] }
SEED
dotnet build -c Release Gateway/Gateway.csproj -v q -nologo >/dev/null
dotnet Gateway/bin/Release/net10.0/gateway.dll --registry "$WORK/seed.json" --data-dir "$WORK/d" --admin-port "$GA" --listen-address 127.0.0.1 \
  --http-port 0 --website-port 0 --unified-port "$GU" --tcp-port 0 --mqtt-port 0 --root-auth-key-id keyId-b --root-auth-key secret-bench-0123456789 \
  --Logging:LogLevel:Default Warning > "$WORK/gateway.log" 2>&1 & PIDS+=($!)
GATEWAY_PID=${PIDS[-1]}
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GA/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
rss() { awk '/VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$GATEWAY_PID/status"; }
# Warm the path with the well-behaved device alone, then take the baseline.
python3 - "$GU" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.45.2", 0)); s.settimeout(2)
for i in range(20):
    s.sendto(b"warm", ("127.0.0.1", int(sys.argv[1])))
    try: s.recv(2048)
    except socket.timeout: pass
PY
BEFORE=$(rss)
python3 - "$GU" "$DURATION" > "$WORK/flood.out" <<'PY' & FLOOD=$!
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.45.1", 0)); s.setblocking(False)
target, payload, sent = ("127.0.0.1", int(sys.argv[1])), b"x" * 64, 0
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    for _ in range(1000):
        try: s.sendto(payload, target); sent += 1
        except (BlockingIOError, ConnectionRefusedError): pass
    try:
        while True: s.recv(2048)
    except (BlockingIOError, ConnectionRefusedError): pass
print(f"{sent / float(sys.argv[2]):.0f}")
PY
( while kill -0 $FLOOD 2>/dev/null; do r=$(rss); [ "$r" -gt "$(cat "$WORK/peak" 2>/dev/null || echo 0)" ] && echo "$r" > "$WORK/peak"; sleep 0.5; done ) & PIDS+=($!)
sleep 0.5
python3 - "$GU" "$DURATION" <<'PY' > "$WORK/good.out"
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.45.2", 0)); s.settimeout(2)
n = int((float(sys.argv[2]) - 1) / 0.2); lat = []
for i in range(n):
    start = time.monotonic()
    s.sendto(b"reading %d" % i, ("127.0.0.1", int(sys.argv[1])))
    try:
        if s.recv(2048).startswith(b"200"): lat.append((time.monotonic() - start) * 1000)
    except socket.timeout: pass
    time.sleep(max(0, 0.2 - (time.monotonic() - start)))
lat.sort()
p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
p50 = lat[len(lat) // 2] if lat else float("nan")
print(f"{len(lat)} of {n} answered, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
PY
wait $FLOOD || true
sleep 3
echo "flood: $(cat "$WORK/flood.out") datagrams/s from 127.0.45.1 for ${DURATION} s"
echo "well-behaved device (one every 200 ms): $(cat "$WORK/good.out")"
echo "gateway RSS MB: before $BEFORE, during (peak) $(cat "$WORK/peak" 2>/dev/null || echo ?), after $(rss)"
