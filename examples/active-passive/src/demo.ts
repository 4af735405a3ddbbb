#!/usr/bin/env node
// `pnpm demo`: the failover drill on two fresh local clusters, with a report at the end.
// Registers zstd, lz4 and snappy with kafkajs (it ships gzip only) for every client in the process.
import '@mirrorkit/core';
import { runDemo } from '../demo.js';
import { drillPassed, formatDrillReport } from '../drill-report.js';
import { palette } from '../text-table.js';

const json = process.argv.includes('--json');
const colors = palette(process.stdout.isTTY === true && !process.env.NO_COLOR);
let cleanup: (() => Promise<void>) | undefined;
let interrupted = false;
const onSignal = (signal: NodeJS.Signals): void => {
  if (interrupted) return;
  interrupted = true;
  process.stdout.write(`\n${signal}: stopping MirrorMaker 2 and the clusters…\n`);
  void (cleanup?.() ?? Promise.resolve()).finally(() => process.exit(130));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

try {
  const report = await runDemo({
    // With --json, stdout carries only the report; progress goes to stderr.
    log: (line) => (json ? process.stderr : process.stdout).write(`${colors.dim(line)}\n`),
    onCleanup: (fn) => {
      cleanup = fn;
    },
  });
  if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`\n${formatDrillReport(report, colors)}\n`);
  process.exit(drillPassed(report) ? 0 : 1);
} catch (error) {
  if (!interrupted) {
    const verbose = process.argv.includes('--verbose');
    process.stderr.write(
      `mirrorkit demo: ${verbose && error instanceof Error ? error.stack : error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(2);
  }
}
