#!/usr/bin/env node
// mirrorkit-replicator --config mm2.properties [--http-port 9090] [--group-prefix P]
// Registers zstd, lz4 and snappy with kafkajs (it ships gzip only) for every client in the process.
import '@mirrorkit/core';
import { readFileSync } from 'node:fs';
import { MirrorKitError } from '@mirrorkit/core';
import { jsonLogger } from '../logger.js';
import { startReplicator } from '../replicator.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const log = jsonLogger();
const configPath = arg('--config');
if (!configPath) {
  process.stderr.write(
    'usage: mirrorkit-replicator --config mm2.properties [--http-port 9090] [--group-prefix P]\n',
  );
  process.exit(2);
}
let properties: string;
try {
  properties = readFileSync(configPath, 'utf8');
} catch (error) {
  process.stderr.write(`mirrorkit-replicator: cannot read ${configPath}: ${(error as Error).message}\n`);
  process.exit(2);
}
const port = arg('--http-port');
const prefix = arg('--group-prefix');
// Signals are handled from the first moment: a SIGTERM during start-up stops as soon as start
// returns, instead of killing the process with the group still joined.
let replicator: Awaited<ReturnType<typeof startReplicator>> | null = null;
let stopRequested: string | null = null;
const shutdown = (signal: string): void => {
  if (stopRequested) return;
  stopRequested = signal;
  log.info('signal received', { signal });
  if (replicator) void replicator.stop().then(() => process.exit(0));
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
try {
  replicator = await startReplicator({
    properties,
    env: process.env,
    httpPort: port === undefined ? null : Number(port),
    log,
    ...(prefix ? { groupIdPrefix: prefix } : {}),
  });
  if (stopRequested) {
    await replicator.stop();
    process.exit(0);
  }
} catch (error) {
  const code = error instanceof MirrorKitError ? error.code : 'REPLICATOR_FAILED';
  log.error('could not start', { code, error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
