#!/usr/bin/env bash
# The tests on a fresh machine: set up (idempotent), then build, typecheck, lint, unit tests and
# integration tests on real Kafka brokers (`pnpm test`).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/setup.sh
echo "test: set-up took $(( $(date +%s) - start )) s"
pnpm test
echo "test: total $(( $(date +%s) - start )) s"
