#!/usr/bin/env bash
# The main job on a fresh machine: set up (idempotent, quick when already done), then the
# failover drill on two real local Kafka clusters with MirrorMaker 2 (`pnpm demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec pnpm demo "$@"
