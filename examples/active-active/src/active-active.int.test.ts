import { describe, expect, it, onTestFailed } from 'vitest';
import { runActiveActive } from './active-active.js';

describe('example: active-active', () => {
  it('handles every update exactly once per region and converges both LWW maps', async () => {
    const lines: string[] = [];
    onTestFailed(() => console.error(lines.join('\n')));
    const result = await runActiveActive({
      log: (line) => lines.push(line),
      eventsPerRegion: 300,
      accounts: 10,
      sendToBothEvery: 10,
    });

    expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([]);
    expect(result.passed).toBe(true);
    // 300 updates per region plus one causal write each; 30 per region also went to the other.
    expect(result.produced).toEqual({ 'us-east': 301, 'us-west': 301 });
    expect(result.events).toBe(602);
    expect(result.sentToBoth).toBe(60);
    for (const region of result.regions) {
      expect(region.handled).toBe(602);
      expect(region.handledMoreThanOnce).toBe(0);
      expect(region.missing).toBe(0);
      expect(region.secondCopiesMissing).toBe(0);
      // Each update sent to both regions arrives twice in each: once in `accounts`, once as the
      // other region's copy. dedup() must have dropped one of the two.
      expect(region.duplicatesDropped).toBeGreaterThanOrEqual(60);
      expect(region.copiesRead).toBe(region.handled + region.duplicatesDropped);
      expect(region.accounts).toBe(11);
    }
    expect(result.converged).toBe(true);
    expect(result.newestWriteWon).toBe(true);
    expect(result.causalWriteWon).toBe(true);
    expect(result.state['acct-causal']).toBe(2);
    expect(Object.keys(result.state)).toHaveLength(11);
  }, 90_000);
});
