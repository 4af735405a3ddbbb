import { afterEach, describe, expect, it, vi } from 'vitest';
import { count, duration, formatVerdict, progressLog } from './report-format.js';

describe('report format', () => {
  afterEach(() => vi.useRealTimers());

  it('formats counts and durations', () => {
    expect(count(1234567)).toBe('1,234,567');
    expect(duration(850.4)).toBe('850 ms');
    expect(duration(2449)).toBe('2.4 s');
    expect(duration(null)).toBe('n/a');
    expect(duration(Number.NaN)).toBe('n/a');
  });

  it('prefixes progress lines with the seconds since the start, and is silent without a log', () => {
    vi.useFakeTimers({ now: 10_000 });
    const lines: string[] = [];
    const log = progressLog((line) => lines.push(line), 4_300);
    log('starting');
    expect(lines).toEqual(['[  5.7s] starting']);
    expect(() => progressLog(undefined, 0)('nobody listens')).not.toThrow();
  });

  it('ends a summary with each check and the verdict', () => {
    const checks = [
      { name: 'nothing skipped', ok: true },
      { name: 'converged', ok: false },
    ];
    expect(formatVerdict({ passed: false, checks, elapsedMs: 13_900 })).toBe(
      '  ok    nothing skipped\n  FAIL  converged\n\nResult: FAIL (13.9 s)',
    );
    expect(formatVerdict({ passed: true, checks: [], elapsedMs: 900 })).toBe('\nResult: PASS (900 ms)');
  });
});
