#!/usr/bin/env node
// `pnpm demo` (and `bash scripts/demo.sh`): this example as the failover drill — group billing,
// ~500 orders/s, us-east SIGKILLed after 6 s — ending with the drill report. Exit 0 on PASS
// (nothing skipped, no send failed), 1 on FAIL, 2 when it could not run, 130 when interrupted
// (after stopping everything it started); `--json` prints the report as JSON on stdout, progress
// on stderr.
import { palette } from '@mirrorkit/core';
import { runExampleProgram } from '@mirrorkit/example-support';
import { runActivePassive } from './active-passive.js';
import { drillPassed, drillReport, formatDrillReport } from './drill-report.js';

const colors = palette(process.stdout.isTTY === true && !process.env.NO_COLOR);

await runExampleProgram({
  run: async (io) => {
    const result = await runActivePassive({
      ...io,
      groupId: 'billing',
      ordersPerSecond: 500,
      beforeCrashMs: 6000,
      afterFailoverMs: 4000,
    });
    // The demo's verdict is the drill's: the example's other checks are in the report as figures.
    return { ...result, passed: drillPassed(result) };
  },
  format: (result) => formatDrillReport(result, colors),
  json: drillReport,
  stops: 'the clients, MirrorMaker 2 and both clusters',
});
