#!/usr/bin/env bash
# The gateway's compiled binary parser against hand-written JavaScript decoders in Node (as ChirpStack / The Things
# Stack users write them), same layouts and payloads, JSON text out, one core each, run one after the other in the
# same session. Prints a Markdown table with the ratio. Usage: benchmarks/harness/binary-parser-vs-node.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${1:-3}
. benchmarks/harness/lib.sh
build_release benchmarks/Gateway.Benchmarks/Gateway.Benchmarks.csproj
NET=$(dotnet benchmarks/Gateway.Benchmarks/bin/Release/net10.0/Gateway.Benchmarks.dll decode-loop "$SECONDS_EACH")
JS=$(node benchmarks/node/decoders.js "$SECONDS_EACH")
echo "| layout | gateway payloads/s | Node $(node --version) payloads/s | ratio | same JSON |"
echo "|---|---:|---:|---:|---|"
while IFS=$'\t' read -r name rate json; do
  js_line=$(printf '%s\n' "$JS" | awk -F'\t' -v n="$name" '$1 == n')
  js_rate=$(printf '%s' "$js_line" | cut -f2); js_json=$(printf '%s' "$js_line" | cut -f3)
  same=no; [ "$json" = "$js_json" ] && same=yes
  echo "| $name | $rate | $js_rate | $(python3 -c "print(f'{$rate/$js_rate:.1f}x')") | $same |"
  result parser "$name" gateway_per_s="$rate" node_per_s="$js_rate" same_json="$same"
done <<< "$NET"
