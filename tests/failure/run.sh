#!/usr/bin/env bash
# The failure tests: the real gateway binary killed with SIGKILL mid-load in queued mode and restarted; destinations
# stopped mid-load and restored on the same port (a Kafka broker — librdkafka's mock cluster —, kinesalite, the
# Pub/Sub emulator, Event Hubs' local AMQP peer, the in-test Firehose and AWS IoT contract peers and a webhook in
# queued mode, a Beam UDP→HTTP upstream in sync mode); queued Harvest on PostgreSQL killed mid-load; two gateways
# sharing PostgreSQL, one killed with messages in its spool; SIGTERM with a load running; plus the fast
# queued-delivery, outage and spool tests that also run in ./test.sh. Each long run prints what was acknowledged,
# received, duplicated and missing. About four minutes on the 2-core machine, plus about 30 s for the Event Hubs,
# Firehose and AWS IoT runs. Usage: tests/failure/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build tests/Gateway.Tests -c Release
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test tests/Gateway.Tests -c Release --no-build \
  --filter "Category=Failure|FullyQualifiedName~Gateway.Tests.Failure|FullyQualifiedName~Gateway.Tests.Spool" \
  --logger "console;verbosity=detailed" >"$log" 2>&1 || status=$?
grep -E "^\s*(Passed|Failed) |kill -9:|outage|SIGTERM|two instances|Error Message|Total tests|Passed!|Failed!" "$log" || true
exit "$status"
