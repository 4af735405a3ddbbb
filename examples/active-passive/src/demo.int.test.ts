import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNode } from '../../../test/spawn-node.js';
import type { DrillReport } from './drill-report.js';

const DEMO = fileURLToPath(new URL('../dist/demo.js', import.meta.url));

describe('pnpm demo, as a user runs it', () => {
  it('kills us-east under load and reports a drill with nothing skipped', async () => {
    expect(existsSync(DEMO), `${DEMO} is missing: run pnpm run build first`).toBe(true);
    const { code, stdout, stderr } = await runNode(DEMO, ['--json']);
    if (code !== 0) console.error(stderr);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as DrillReport;
    // The drill report only: the example's own figures and checks stay out of the JSON.
    expect(report).not.toHaveProperty('checks');
    const a = report.accounting;
    expect(a.skipped).toBe(0);
    expect(report.producerErrors).toBe(0);
    // Both sides of the crash carried traffic, and the group resumed on us-west by itself.
    expect(report.ackedOnSource).toBeGreaterThan(1000);
    expect(report.ackedOnTarget).toBeGreaterThan(500);
    expect(report.processedOnTarget).toBeGreaterThanOrEqual(report.ackedOnTarget);
    expect(a.produced).toBe(report.ackedOnSource + report.ackedOnTarget);
    // Everything produced was consumed except what was lost with us-east before replication.
    expect(a.consumed).toBeGreaterThanOrEqual(a.produced - a.lostWithSource);
    expect(report.consumerRtoMs).toBeGreaterThan(0);
    expect(report.producerRtoMs).toBeGreaterThan(0);
    expect(report.partitionsWithoutCheckpoint).toBe(0);
    expect(stderr).toContain('SIGKILL us-east');
    expect(stderr).toMatch(/stopped the clients, MirrorMaker 2 and both clusters/);
  }, 180_000);
});
