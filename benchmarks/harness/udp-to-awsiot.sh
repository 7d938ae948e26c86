#!/usr/bin/env bash
# UDP→AWS IoT through the gateway into the contract peer: see udp-to-aws-peer.sh.
# Usage: benchmarks/harness/udp-to-awsiot.sh [seconds]   (env CONCURRENCY=64 ROUNDS=2 WARMUP=3)
exec "$(dirname "$0")/udp-to-aws-peer.sh" aws-iot "$@"
