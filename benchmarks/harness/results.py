#!/usr/bin/env python3
"""Writes benchmarks/RESULTS.md from the RESULT lines the harness scripts print (collected by benchmarks/run-all).

A RESULT line is `RESULT TABLE SIDE key=value ...`. Several lines for the same table and side (rounds) are reduced to
their median, with the number of rounds shown. Each table below says which sides are the gateway's ("ours"), which
are the peers, and which metrics are shown; for each pair the ratio ours/peer is computed from the medians of the
same run. Usage: results.py RESULT_LINES_FILE MACHINE_JSON STATUS_JSON OUT.md
"""
import json
import statistics
import sys

HIGHER, LOWER = "higher is better", "lower is better"

# id, title, script, ours, peers, info sides, [(metric, heading, direction)], what it is, goal
TABLES = [
    ("http", "HTTP relay: gateway vs nginx and HAProxy vs direct", "http-side-by-side.sh",
     ["gateway"], ["nginx", "haproxy", "direct"], [],
     [("peak_rps", "peak req/s (wrk -t2 -c64)", HIGHER), ("cpu_us", "proxy CPU µs per request at peak", LOWER),
      ("p99_peak_ms", "p99 ms at peak", LOWER), ("half_rps", "half of peak, req/s", None),
      ("p99_half_ms", "p99 ms at half of peak (open loop)", LOWER)],
     "wrk, an nginx upstream answering 200 and the path under test on the same cores. nginx (`proxy_pass`) and HAProxy "
     "add four static `x-soracom-*` headers; the gateway resolves the device and adds IMSI, timestamp and a fresh "
     "SORACOM signature per request. Half of peak: each path at half of its own peak, open loop (`benchmarks/LoadGen`, "
     "latency from the intended send time).",
     "peak req/s ≥ nginx's; p99 added over direct ≤ 1 ms at half of peak"),
    ("udp-http", "UDP→HTTP: gateway vs Node-RED 4", "udp-to-http.sh",
     ["gateway"], ["node-red"], [],
     [("msgs_s", "messages/s", HIGHER), ("p50_ms", "p50 ms", LOWER), ("p99_ms", "p99 ms", LOWER),
      ("cpu_us", "CPU µs per message", LOWER), ("rss_mb", "RSS MB", LOWER)],
     "Closed loop, 64 datagrams in flight from one device, each reply awaited. Gateway: identity, signature, POST to an "
     "nginx upstream, the upstream's answer as the reply (Beam). Node-RED: udp in → function (static identity "
     "headers) → http request (kept-alive) → udp out to the sender, i.e. the same reply.", None),
    ("mqtt-qos0", "MQTT relay vs a mosquitto bridge, QoS 0", "mqtt-relay-vs-bridge.sh",
     ["gateway"], ["mosquitto-bridge"], [],
     [("msgs_s", "messages/s delivered upstream", HIGHER), ("p50_ms", "p50 ms", LOWER), ("p99_ms", "p99 ms", LOWER),
      ("cpu_us", "relay CPU µs per message", LOWER)],
     "MQTT 3.1.1 devices (16 connections × 4 in flight) → gateway Beam MQTT port (identity, topic + /IMSI) or a local "
     "mosquitto whose bridge forwards `bench/#` → one upstream mosquitto; latency from publish to receipt by a "
     "subscriber on the upstream broker (the loop is closed on delivery).", None),
    ("mqtt-qos1", "MQTT relay vs a mosquitto bridge, QoS 1", "mqtt-relay-vs-bridge.sh",
     ["gateway"], ["mosquitto-bridge"], [],
     [("msgs_s", "messages/s delivered upstream", HIGHER), ("p50_ms", "p50 ms", LOWER), ("p99_ms", "p99 ms", LOWER),
      ("cpu_us", "relay CPU µs per message", LOWER)],
     "As for QoS 0, publishing and subscribing at QoS 1.", None),
    ("udp-kafka", "UDP→Kafka: gateway vs rsyslog `imudp` → `omkafka`", "udp-to-kafka.sh",
     ["gateway"], ["rsyslog"], ["gateway-closed"],
     [("offered_s", "offered/s", None), ("msgs_s", "delivered into Kafka msg/s", HIGHER),
      ("cpu_us", "CPU µs per message", LOWER), ("rss_mb", "RSS MB", LOWER), ("p99_ms", "reply p99 ms", LOWER)],
     "Both into one librdkafka mock cluster (no disk, no replication). Open loop at a fixed rate from 4 devices; the "
     "gateway answers each datagram after Kafka's acknowledgement, rsyslog sends no reply and does no identity lookup "
     "or parsing. `gateway-closed`: 64 in flight, each reply awaited (gives the reply p99).",
     "≥ 2× rsyslog's messages/s"),
    ("udp-kinesis", "UDP→Kinesis (kinesalite)", "udp-to-kinesis.sh", ["gateway"], [], [],
     [("msgs_s", "messages/s", HIGHER), ("p50_ms", "p50 ms", LOWER), ("p99_ms", "p99 ms", LOWER),
      ("cpu_us", "gateway CPU µs per message", LOWER), ("peer_cpu_us", "kinesalite CPU µs per message", None)],
     "Closed loop, 64 in flight; a reply only after kinesalite answered the PutRecords. kinesalite is one Node process, "
     "not the cloud.", None),
    ("udp-firehose", "UDP→Firehose (contract peer)", "udp-to-firehose.sh", ["gateway"], [], [],
     [("msgs_s", "messages/s", HIGHER), ("p50_ms", "p50 ms", LOWER), ("p99_ms", "p99 ms", LOWER),
      ("accepted", "records accepted by the peer", None), ("replies", "replies", None),
      ("cpu_us", "gateway CPU µs per message", LOWER), ("peer_cpu_us", "peer CPU µs per message", None)],
     "Closed loop, 64 in flight; `PutRecordBatch` (JSON 1.1, SigV4) into `tests/tools/AwsPeer`, the adapter tests' "
     "peer as a process: it enforces the documented request shapes and checks every signature independently. No "
     "Firehose emulator exists here; the peer has none of the service's limits.", None),
    ("udp-awsiot", "UDP→AWS IoT (contract peer)", "udp-to-awsiot.sh", ["gateway"], [], [],
     [("msgs_s", "messages/s", HIGHER), ("p50_ms", "p50 ms", LOWER), ("p99_ms", "p99 ms", LOWER),
      ("accepted", "publishes accepted by the peer", None), ("replies", "replies", None),
      ("cpu_us", "gateway CPU µs per message", LOWER), ("peer_cpu_us", "peer CPU µs per message", None)],
     "Closed loop, 64 in flight; one SigV4-signed `POST /topics/bench%2F<IMSI>?qos=` per message (the IoT data "
     "plane has no batch call) into the same contract peer.", None),
    ("parser", "Binary parser vs hand-written Node decoders", "binary-parser-vs-node.sh", None, None, None,
     [("gateway_per_s", "gateway payloads/s", HIGHER), ("node_per_s", "Node payloads/s", HIGHER),
      ("same_json", "same JSON", None)],
     "One core each, one after the other; the same layouts and payloads, JSON text out (checked identical).",
     "≥ 5× Node"),
    ("signing", "SORACOM signature per core", "signing.sh",
     ["gateway"], ["node"], ["gateway-sha256-only"],
     [("per_s_core", "signatures/s per core", HIGHER), ("ns_per_sig", "ns per signature", LOWER)],
     "Gateway: `SigningBenchmarks.SignHttp` (BenchmarkDotNet, in process, short job: string to sign, SHA-256, hex; "
     "0 B allocated). `gateway-sha256-only`: the BCL's one-shot SHA-256 of the same 114 bytes, for reference. "
     "Node: the same signature with `crypto.createHash` per call.", "≥ 2 million per core"),
    ("idle", "Memory per idle connection vs mosquitto", "idle-connections.sh",
     ["mqtt-relay", "mqtt-pipeline", "tcp"], ["mosquitto"], [],
     [("connections", "idle connections", None), ("failed", "failed", None),
      ("kib_per_conn", "KiB per connection (RSS growth)", LOWER), ("rss_before_mb", "RSS before MB", None),
      ("rss_after_mb", "RSS after MB", None)],
     "A fresh server per row; MQTT 3.1.1 CONNECT (keepalive 1200 s) or a bare TCP connect, then nothing. "
     "`mqtt-relay`: Beam MQTT port (each device also holds an upstream session to a mosquitto; 8,500: the "
     "gateway refuses past 18,000 descriptors, nine tenths of this machine's 20,000 per process); `mqtt-pipeline`: MQTT terminated in the gateway (Funnel, "
     "Harvest); `tcp`: unified port, TCP→HTTP, no upstream until data; `mosquitto`: clients straight to mosquitto. "
     "Kernel socket buffers are not in RSS, for either side.", "≤ 10 KiB per connection"),
    ("three-instances", "Three instances behind HAProxy: throughput with 1, 2, 3", "three-instances.sh",
     ["3-instances"], ["1-instance"], ["2-instances", "direct-1"],
     [("rps", "req/s (wrk -t2 -c64)", HIGHER), ("p99_ms", "p99 ms", LOWER),
      ("gateway_cpu_us", "gateways' CPU µs per request", LOWER), ("haproxy_cpu_us", "HAProxy CPU µs per request", None),
      ("errors", "non-2xx", None)],
     "Beam HTTP (identity, signature) through HAProxy (deploy/haproxy/haproxy.cfg, HTTP mode) to 1, 2 or 3 gateways "
     "sharing one PostgreSQL registry (the others in maintenance), an nginx upstream; `direct-1`: one gateway without "
     "HAProxy. Everything, wrk included, shares this machine's cores: the ratio 3/1 is the scaling measured here, "
     "not what three machines give (docs/deployment.md).", None),
    ("three-instances-checks", "Three instances behind HAProxy: shared registry and kill -9", "three-instances.sh",
     [], [], ["checks"],
     [("config_apply_ms", "config change applied on instance 3, ms after the PUT", LOWER),
      ("binding_apply_ms", "RADIUS binding resolved on instance 3, ms", LOWER),
      ("kill_acked", "acknowledged under kill -9", None), ("kill_lost", "acknowledged and lost", LOWER),
      ("kill_errors", "errors (not acknowledged)", None), ("down_after_ms", "HAProxy marked it down after ms", None)],
     "A group change through instance 1's admin API, a RADIUS Accounting-Start to instance 1, then instance 2 killed "
     "with SIGKILL under 16 connections of load through HAProxy: every request answered 200 must be in the "
     "upstream's log.", "config and binding within 1,000 ms; 0 lost"),
    ("radius-storm", "RADIUS attach storm with auto-registration", "radius-storm.sh",
     [], [], ["gateway"],
     [("rate", "Accounting-Start per second sent", None), ("answered_pct", "answered %", HIGHER),
      ("p50_ms", "p50 ms", LOWER), ("p99_ms", "p99 ms", LOWER),
      ("p99_first_ms", "p99 ms, first half", None), ("p99_second_ms", "p99 ms, second half", LOWER)],
     "Open-loop RADIUS client (Gateway.Benchmarks radius-storm), each Accounting-Start a new IMSI and address "
     "auto-registered into one group, from an empty registry; a request not answered within 3.3 s counts as lost.",
     "5,000/s answered, p99 of the second half no higher than of the first"),
]


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def fmt(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}".removesuffix(".0")
    return f"{value:.3f}".rstrip("0").rstrip(".")


def collect(path):
    data = {}
    for line in open(path, encoding="utf-8"):
        parts = line.split()
        if len(parts) < 3 or parts[0] != "RESULT":
            continue
        sides = data.setdefault(parts[1], {})
        rounds = sides.setdefault(parts[2], [])
        rounds.append(dict(p.split("=", 1) for p in parts[3:] if "=" in p))
    return data


def median(rounds, key):
    values = [r[key] for r in rounds if key in r]
    numbers = [number(v) for v in values]
    if values and all(n is not None for n in numbers):
        return statistics.median(numbers)
    return values[-1] if values else None


def side_table(out, sides, ours, peers, info, metrics):
    order = [s for s in ours + peers + info if s in sides] + sorted(s for s in sides if s not in ours + peers + info)
    out.append("| side | rounds | " + " | ".join(m[1] for m in metrics) + " |")
    out.append("|---|---:|" + "---:|" * len(metrics))
    for side in order:
        label = f"**{side}**" if side in ours else side
        out.append(f"| {label} | {len(sides[side])} | " + " | ".join(fmt(median(sides[side], m[0])) for m in metrics) + " |")
    pairs = [(o, p) for o in ours if o in sides for p in peers if p in sides]
    rated = []
    for m in (m for m in metrics if m[2]):
        cells = []
        for o, p in pairs:
            a, b = median(sides[o], m[0]), median(sides[p], m[0])
            cells.append(f"{a / b:.2f}" if isinstance(a, float) and isinstance(b, float) and b else "")
        if any(cells):
            rated.append((m, cells))
    if rated:
        out.append("")
        out.append("| ratio | " + " | ".join(f"{m[1]} ({m[2]})" for m, _ in rated) + " |")
        out.append("|---|" + "---:|" * len(rated))
        for i, (o, p) in enumerate(pairs):
            out.append(f"| {o} / {p} | " + " | ".join(cells[i] for _, cells in rated) + " |")


def pair_table(out, sides, metrics):
    out.append("| layout | rounds | " + " | ".join(m[1] for m in metrics) + " | ratio gateway/Node (higher is better) |")
    out.append("|---|---:|" + "---:|" * len(metrics) + "---:|")
    for layout, rounds in sides.items():
        g, n = median(rounds, "gateway_per_s"), median(rounds, "node_per_s")
        ratio = f"{g / n:.1f}×" if isinstance(g, float) and isinstance(n, float) and n else ""
        out.append(f"| {layout} | {len(rounds)} | " + " | ".join(fmt(median(rounds, m[0])) for m in metrics) + f" | {ratio} |")


def main():
    results, machine, status, target = sys.argv[1:5]
    data = collect(results)
    machine = json.load(open(machine, encoding="utf-8"))
    status = json.load(open(status, encoding="utf-8"))
    out = ["# Side-by-side results", "",
           "Written by `benchmarks/run-all` (" + machine["mode"] + "); do not edit by hand, run it again. "
           "Every comparison below ran in this one run, both sides on the same machine minutes apart, so **the ratios "
           "(ours/peer, from the medians of the same run) are what to read**; absolute figures depend on the machine "
           "and on what else ran on it. How each figure is made, and past runs: [README.md](README.md); the figures "
           "users read: [docs/performance.md](../docs/performance.md).", ""]
    if machine.get("note"):
        out += ["> " + machine["note"], ""]
    out += ["## Machine", "", "| | |", "|---|---|"]
    for key in ("date", "commit", "cpus", "cpu", "ram", "os", "kernel", "dotnet", "node", "peers", "load"):
        if machine.get(key):
            out.append(f"| {key} | {machine[key]} |")
    out.append("")
    for table_id, title, script, ours, peers, info, metrics, what, goal in TABLES:
        out += [f"## {title}", "", f"`benchmarks/harness/{script}` — {what}", ""]
        if goal:
            out += [f"Goal: {goal}.", ""]
        sides = data.get(table_id)
        state = status.get(script, "not run")
        if not sides:
            out += [f"**Not measured in this run** (script: {state}); see its log.", ""]
            continue
        if ours is None:
            pair_table(out, sides, metrics)
        else:
            side_table(out, sides, ours, peers, info, metrics)
        if state != "ok":
            out += ["", f"The script ended with: {state} (figures above are what it printed before)."]
        out.append("")
    open(target, "w", encoding="utf-8").write("\n".join(out))


if __name__ == "__main__":
    main()
