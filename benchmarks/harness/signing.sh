#!/usr/bin/env bash
# Signing per core: the gateway's SORACOM HTTP identity signature (SigningBenchmarks.SignHttp: string to sign into a
# stack buffer, SHA-256, hex; BenchmarkDotNet, in process, short job) and the platform's one-shot SHA-256 of the same
# 114 bytes (Sha256Only) as reference, against the same signature computed in Node (benchmarks/node/sign.js, one
# core, string built, hashed and hex-encoded per call). Prints RESULT lines for benchmarks/run-all.
# Usage: benchmarks/harness/signing.sh [node-seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-3}
. benchmarks/harness/lib.sh
harness_begin
build_release benchmarks/Gateway.Benchmarks/Gateway.Benchmarks.csproj
dotnet benchmarks/Gateway.Benchmarks/bin/Release/net10.0/Gateway.Benchmarks.dll --filter '*SigningBenchmarks.SignHttp' '*SigningBenchmarks.Sha256Only' \
  --job short --inProcess --exporters csv --artifacts "$WORK/bdn" > "$WORK/bdn.log" 2>&1 || { tail -30 "$WORK/bdn.log"; exit 1; }
NODE=$(node benchmarks/node/sign.js "$SECONDS_EACH")
python3 - "$WORK/bdn/results" "$NODE" <<'PY'
import csv, glob, sys
units = {"ns": 1, "μs": 1e3, "us": 1e3, "ms": 1e6}
rows = {}
for path in glob.glob(sys.argv[1] + "/*-report.csv"):
    for r in csv.DictReader(open(path, encoding="utf-8")):
        value, unit = r["Mean"].replace(",", "").split()
        rows[r["Method"]] = float(value) * units[unit]
node = dict(p.split("=") for p in sys.argv[2].split())
for method, side in (("SignHttp", "gateway"), ("Sha256Only", "gateway-sha256-only")):
    ns = rows[method]
    print(f"  {method}: {ns:.1f} ns = {1e9 / ns:,.0f} per second per core")
    print(f"RESULT signing {side} per_s_core={1e9 / ns:.0f} ns_per_sig={ns:.1f}")
print(f"  Node {node['ns_per_sig']} ns = {int(node['node_per_s']):,} per second per core")
print(f"RESULT signing node per_s_core={node['node_per_s']} ns_per_sig={node['ns_per_sig']}")
PY
