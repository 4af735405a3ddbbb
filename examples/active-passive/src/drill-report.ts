/** The report `pnpm demo` prints (aligned text, or `--json`), and when it passes. */
import { count, duration, type Palette, textTable } from '@mirrorkit/core';
import type { ActivePassiveResult } from './active-passive.js';
import type { DrillAccounting } from './drill-accounting.js';

/** Everything a failover drill measured; `pnpm demo --json` prints it. Durations are null when not measured. */
export interface DrillReport {
  readonly source: string;
  readonly target: string;
  readonly topic: string;
  readonly groupId: string;
  readonly policy: string;
  readonly accounting: DrillAccounting;
  /** Acknowledged per cluster. */
  readonly ackedOnSource: number;
  readonly ackedOnTarget: number;
  /** Processed per cluster (with duplicates). */
  readonly processedOnSource: number;
  readonly processedOnTarget: number;
  /**
   * Data-loss window: from the oldest acknowledged-but-unreplicated record to the crash (0 when
   * everything was replicated). `heartbeatAgeMs` is the RPO estimate the health monitor had.
   */
  readonly rpoMs: number;
  readonly heartbeatAgeMs: number | null;
  /** From the crash to the consumer's first record processed on the target. */
  readonly consumerRtoMs: number | null;
  /** From the crash to the failover decision (health probes failing long enough). */
  readonly detectionMs: number | null;
  /** The failover itself and its steps. */
  readonly failoverMs: number | null;
  readonly failoverSteps: Readonly<Record<string, number>>;
  readonly partitionsWithoutCheckpoint: number;
  /** From the crash to the first send acknowledged by the target. */
  readonly producerRtoMs: number | null;
  /** Sends that failed for the application (queue full, deadline). */
  readonly producerErrors: number;
}

/** The drill report of an active-passive run: its figures without the example's own. */
export function drillReport(result: ActivePassiveResult): DrillReport {
  const { passed, checks, elapsedMs, replicated, onTarget, partitionsExact, partitions, ...report } = result;
  return report;
}

/** True when the drill proved what it must: nothing skipped, no send lost by the producer. */
export function drillPassed(report: DrillReport): boolean {
  return report.accounting.skipped === 0 && report.producerErrors === 0;
}

/** The report as aligned text for people. */
export function formatDrillReport(report: DrillReport, colors: Palette): string {
  const a = report.accounting;
  const verdict = drillPassed(report) ? colors.green('PASS') : colors.red('FAIL');
  const skipped = a.skipped === 0 ? colors.green(count(0)) : colors.red(count(a.skipped));
  const steps = Object.entries(report.failoverSteps)
    .map(([step, ms]) => `${step.replace(/Ms$/, '')} ${duration(ms)}`)
    .join(', ');
  const records = textTable(
    [
      [
        'produced',
        count(a.produced),
        `${count(report.ackedOnSource)} on ${report.source}, ${count(report.ackedOnTarget)} on ${report.target} after failover`,
      ],
      [
        'consumed',
        count(a.consumed),
        `distinct ids (${count(report.processedOnSource)} deliveries on ${report.source}, ${count(report.processedOnTarget)} on ${report.target})`,
      ],
      ['skipped', skipped, 'ids on the DR cluster that the consumer never processed (must be 0)'],
      [
        'replayed',
        count(a.duplicates),
        'delivered again after failover (0 when the consumer resumed exactly after its last record)',
      ],
      [
        'lost with source',
        count(a.lostWithSource),
        `acknowledged on ${report.source} but not yet replicated when it died`,
      ],
    ],
    { indent: '  ' },
  );
  const times = textTable(
    [
      [
        'RPO',
        duration(report.rpoMs),
        report.heartbeatAgeMs === null
          ? 'replication lag at the crash'
          : `replication lag at the crash (heartbeat age then: ${duration(report.heartbeatAgeMs)})`,
      ],
      ['consumer RTO', duration(report.consumerRtoMs), `crash → first record processed on ${report.target}`],
      [
        '  detection',
        duration(report.detectionMs),
        'crash → failover started (health probes failing long enough)',
      ],
      ['  failover', duration(report.failoverMs), steps],
      ['producer RTO', duration(report.producerRtoMs), `crash → first send acknowledged by ${report.target}`],
      ['producer errors', count(report.producerErrors), 'sends that failed for the application'],
    ],
    { indent: '  ' },
  );
  const lines = [
    colors.bold(
      `Failover drill: ${report.source} → ${report.target}, topic ${report.topic}, group ${report.groupId} (${report.policy})`,
    ),
    '',
    records,
    '',
    times,
    '',
  ];
  if (report.partitionsWithoutCheckpoint > 0)
    lines.push(colors.yellow(`  ${report.partitionsWithoutCheckpoint} partition(s) had no checkpoint`), '');
  if (a.skippedExamples.length > 0)
    lines.push(colors.red(`  skipped, e.g.: ${a.skippedExamples.join(', ')}`), '');
  lines.push(`Result: ${verdict}`);
  return lines.join('\n');
}
