import { describe, expect, it } from 'vitest';
import { accountDrill } from './drill-accounting.js';

describe('accountDrill', () => {
  it('counts lost, skipped and replayed records by id', () => {
    const result = accountDrill({
      ackedOnSource: new Set(['e:1', 'e:2', 'e:3', 'e:4']),
      replicated: new Set(['e:1', 'e:2', 'e:3']),
      ackedOnTarget: new Set(['w:1', 'w:2']),
      deliveries: new Map([
        ['e:1', 1],
        ['e:2', 2],
        ['e:3', 3],
        ['e:4', 1],
        ['w:1', 1],
      ]),
    });
    expect(result).toEqual({
      produced: 6,
      lostWithSource: 1,
      skipped: 1,
      consumed: 5,
      duplicates: 3,
      skippedExamples: ['w:2'],
    });
  });

  it('does not call a record processed before the crash but never replicated a skip', () => {
    const result = accountDrill({
      ackedOnSource: new Set(['e:1', 'e:2']),
      replicated: new Set(['e:1']),
      ackedOnTarget: new Set(),
      deliveries: new Map([
        ['e:1', 1],
        ['e:2', 1],
      ]),
    });
    expect(result.skipped).toBe(0);
    expect(result.lostWithSource).toBe(1);
  });

  it('counts a send retried onto the target once as produced', () => {
    const result = accountDrill({
      ackedOnSource: new Set(['e:1']),
      replicated: new Set(['e:1']),
      ackedOnTarget: new Set(['e:1']),
      deliveries: new Map([['e:1', 2]]),
    });
    expect(result.produced).toBe(1);
    expect(result.duplicates).toBe(1);
    expect(result.skipped).toBe(0);
  });
});
