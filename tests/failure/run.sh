#!/usr/bin/env bash
# The failure tests: the real gateway binary killed with SIGKILL mid-load in queued mode and restarted, a Kafka broker
# (librdkafka's mock cluster) killed mid-load and restored, SIGTERM with a load running, plus the fast queued-delivery
# and spool tests that also run in ./test.sh. Each long run prints what was acknowledged, received, duplicated and
# missing. About a minute and a half on the 2-core machine. Usage: tests/failure/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build tests/Gateway.Tests -c Release
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test tests/Gateway.Tests -c Release --no-build \
  --filter "Category=Failure|FullyQualifiedName~Gateway.Tests.Failure|FullyQualifiedName~Gateway.Tests.Spool" \
  --logger "console;verbosity=detailed" >"$log" 2>&1 || status=$?
grep -E "^\s*(Passed|Failed) |kill -9:|kafka outage|SIGTERM:|Error Message|Total tests|Passed!|Failed!" "$log" || true
exit "$status"
