import { describe, expect, it } from 'vitest';
import { lagTrend, overallVerdict } from './validate.js';

describe('validate verdicts', () => {
  it('warns only on lag that grew past the bound', () => {
    expect(lagTrend(100n, 50n, 10n)).toEqual({
      verdict: 'PASS',
      detail: 'lag shrank from 100 to 50 record(s)',
    });
    expect(lagTrend(100n, 100n, 10n).verdict).toBe('PASS');
    expect(lagTrend(5n, 9n, 10n).verdict).toBe('PASS');
    expect(lagTrend(5n, 12_000n, 10n)).toEqual({
      verdict: 'WARN',
      detail: 'lag grew from 5 to 12,000 record(s)',
    });
  });

  it('fails on any FAIL, warns on any WARN', () => {
    expect(overallVerdict(['PASS', 'PASS'])).toBe('PASS');
    expect(overallVerdict(['PASS', 'WARN'])).toBe('WARN');
    expect(overallVerdict(['WARN', 'FAIL', 'PASS'])).toBe('FAIL');
  });
});
