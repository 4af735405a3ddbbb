#!/usr/bin/env node
// `pnpm demo`: the failover drill on two fresh local clusters, with a report at the end.
import { runDemo } from '../demo.js';
import { drillPassed, formatDrillReport } from '../drill-report.js';
import { palette } from '../text-table.js';

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
    log: (line) => process.stdout.write(`${colors.dim(line)}\n`),
    onCleanup: (fn) => {
      cleanup = fn;
    },
  });
  process.stdout.write(`\n${formatDrillReport(report, colors)}\n`);
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
