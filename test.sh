#!/usr/bin/env bash
# The project's one test command: on a fresh Debian machine it installs what the tests need (idempotently),
# restores, builds with warnings as errors, and runs every test project. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the real-peer tests use (chromium: the console's browser tests, driven by Microsoft.Playwright; haproxy: the PROXY protocol tests, in front of the gateway). Installed only when missing, so a second run does no network work.
APT_PACKAGES=(curl socat postgresql freeradius-utils mosquitto mosquitto-clients chromium haproxy)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The Google Pub/Sub emulator comes from Google's apt source (packages google-cloud-cli and
# google-cloud-cli-pubsub-emulator), which this script does not configure: it is checked, not installed. Without it
# the Pub/Sub tests are skipped, each with this reason.
PUBSUB_EMULATOR=/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator
if [ ! -x "$PUBSUB_EMULATOR" ]; then
  echo "test.sh: the Google Pub/Sub emulator is missing ($PUBSUB_EMULATOR): the Pub/Sub tests will be skipped;" \
       "install google-cloud-cli and google-cloud-cli-pubsub-emulator from Google's apt source (packages.cloud.google.com) to run them"
fi

# kinesalite (npm), the Kinesis peer of the AWS adapter tests and benchmarks: installed from its lock file only when
# missing, so a second run does no network work. Node and npm come with the machine image.
if [ ! -d tests/tools/kinesalite/node_modules/kinesalite ]; then
  echo "test.sh: installing kinesalite"
  npm ci --prefix tests/tools/kinesalite --no-audit --no-fund --loglevel=error
fi

# Playwright drives Debian's /usr/bin/chromium; its own browser download fails on a closed network and is not wanted.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet restore Gateway.sln
dotnet build Gateway.sln -c Release --no-restore

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# The longer failure runs (Category=Failure: kill -9, broker outage, SIGTERM under load) are left to
# tests/failure/run.sh; their fast subset (Gateway.Tests.Failure.QueuedDeliveryTests and DestinationOutageTests: each
# destination's process stopped and restarted around 10 queued messages; the spool's unit tests) runs here.
dotnet test Gateway.sln -c Release --no-build --filter "Category!=Failure" 2>&1 | tee "$log" || status=$?
# The deployment files, offline: Kubernetes manifests against Kubernetes' schemas and for unknown fields, the
# Dockerfile, the HAProxy configuration when haproxy is installed (deploy/check.sh; docs/deployment.md).
deploy/check.sh || status=1

# One plain closing line over every test project, in the form CI reads.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
