#!/usr/bin/env node
// mirrorkit-replicator --config mm2.properties [options]; --help lists them.
// Registers zstd, lz4 and snappy with kafkajs (it ships gzip only) for every client in the process.
import '@mirrorkit/core';
import { readFileSync } from 'node:fs';
import { MirrorKitConfigError, MirrorKitError } from '@mirrorkit/core';
import { jsonLogger } from '../logger.js';
import { type Replicator, startReplicator } from '../replicator.js';
import { parseReplicatorArgs, type ReplicatorArgs, USAGE } from './replicator-args.js';

const log = jsonLogger();
let args: ReplicatorArgs;
try {
  args = parseReplicatorArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`mirrorkit-replicator: ${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const configPath = args.config as string;
let properties: string;
try {
  properties = readFileSync(configPath, 'utf8');
} catch (error) {
  // The path is the user's own argument; the OS's reason (ENOENT, EACCES) carries no file content.
  const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
  process.stderr.write(`mirrorkit-replicator: cannot read ${configPath}: ${reason}\n`);
  process.exit(2);
}
// Signals are handled from the first moment: a SIGTERM during start-up stops as soon as start
// returns, instead of killing the process with the group still joined.
let replicator: Replicator | null = null;
let stopRequested: string | null = null;
const stopWithin = (bound: number): void => {
  const running = replicator as Replicator;
  // A disconnect from an unreachable cluster can retry for minutes; the bound keeps SIGTERM a
  // promise an orchestrator can rely on, and names what hung so the next run can be looked at.
  const timer = setTimeout(() => {
    log.error('stop did not finish in time; exiting', {
      code: 'REPLICATOR_STOP_TIMEOUT',
      timeoutSeconds: bound / 1000,
      pending: running.stopPending(),
    });
    process.exit(1);
  }, bound);
  running.stop().then(
    () => {
      clearTimeout(timer);
      process.exit(0);
    },
    (error: unknown) => {
      log.error('stop failed', { error: error instanceof Error ? error.message : String(error) });
      process.exit(1);
    },
  );
};
const shutdown = (signal: string): void => {
  if (stopRequested) {
    // A second signal: the user means it.
    log.warn('second signal; exiting now', { signal });
    process.exit(1);
  }
  stopRequested = signal;
  log.info('signal received', { signal, stopTimeoutSeconds: args.stopTimeoutMs / 1000 });
  if (replicator) stopWithin(args.stopTimeoutMs);
  else
    setTimeout(() => {
      log.error('start did not return in time after a stop signal; exiting', {
        code: 'REPLICATOR_STOP_TIMEOUT',
      });
      process.exit(1);
    }, args.stopTimeoutMs).unref();
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
try {
  replicator = await startReplicator({
    properties,
    env: process.env,
    httpPort: args.httpPort,
    httpHost: args.httpHost,
    liveDownBoundMs: args.liveDownBoundMs,
    log,
    ...(args.groupPrefix !== null ? { groupIdPrefix: args.groupPrefix } : {}),
  });
  if (stopRequested) stopWithin(args.stopTimeoutMs);
} catch (error) {
  const code = error instanceof MirrorKitError ? error.code : 'REPLICATOR_FAILED';
  log.error('could not start', { code, error: error instanceof Error ? error.message : String(error) });
  // A file that cannot run is the user's to fix, not a retry's: the same exit as a bad argument.
  process.exit(error instanceof MirrorKitConfigError || code === 'REPLICATOR_NO_FLOW' ? 2 : 1);
}
