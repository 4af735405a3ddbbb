#!/usr/bin/env bash
# One-time set-up on a fresh machine (Node 20, JDK 17, Maven with Maven Central):
# pnpm at the version pinned in package.json, the workspace's dependencies, a build, and the
# Apache Kafka jars (broker, tools, MirrorMaker 2) from Maven Central.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in node java mvn; do
  command -v "$tool" >/dev/null || { echo "setup: '$tool' is required but not on PATH" >&2; exit 1; }
done

pnpm_version=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  echo "setup: installing pnpm $pnpm_version"
  npm install -g "pnpm@$pnpm_version" >/dev/null
fi

pnpm install --frozen-lockfile
pnpm run build
node packages/testkit/dist/bin/fetch-kafka.js
