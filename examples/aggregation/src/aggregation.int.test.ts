import { describe, expect, it, onTestFailed } from 'vitest';
import { runAggregation } from './aggregation.js';

describe('example: aggregation', () => {
  it('aggregates every reading of three edges once on central, by the edge named in the topic', async () => {
    const lines: string[] = [];
    onTestFailed(() => console.error(lines.join('\n')));
    const result = await runAggregation({ log: (line) => lines.push(line), readingsPerEdge: 200 });

    expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([]);
    expect(result.passed).toBe(true);
    expect(result.unknownOrigin).toBe(0);
    expect(result.edges.map((f) => [f.edge, f.topic])).toEqual([
      ['edge-1', 'edge-1.sensor-data'],
      ['edge-2', 'edge-2.sensor-data'],
      ['edge-3', 'edge-3.sensor-data'],
    ]);
    for (const [e, f] of result.edges.entries()) {
      expect(f.produced).toBe(200);
      expect(f.received).toBe(200);
      expect(f.missing).toBe(0);
      expect(f.misattributed).toBe(0);
      expect(f.sensors).toBe(4);
      expect(f.aggregateMatches).toBe(true);
      // Each edge's readings span [15 + 4e, 24.9 + 4e] °C: a reading filed under the wrong edge
      // would move these.
      expect(f.minC).toBeCloseTo(15 + 4 * e, 9);
      expect(f.maxC).toBeCloseTo(24.9 + 4 * e, 9);
    }
  }, 90_000);
});
