import { describe, expect, it } from 'vitest';
import { count, duration, palette, textTable } from './text-table.js';

describe('textTable', () => {
  it('pads columns, right-aligns numbers and ignores colour codes when measuring', () => {
    const colors = palette(true);
    const out = textTable([
      ['produced', '1,234', 'records'],
      ['skipped', colors.green('0'), 'must be 0'],
      ['RTO', '2.1 s', ''],
    ]);
    const plain = out.replaceAll('\u001b[32m', '').replaceAll('\u001b[39m', '');
    expect(plain.split('\n')).toEqual([
      'produced  1,234  records',
      'skipped       0  must be 0',
      'RTO       2.1 s',
    ]);
  });

  it('has no escape codes without a terminal', () => {
    expect(palette(false).red('x')).toBe('x');
    expect(palette(true).red('x')).toBe('\u001b[31mx\u001b[39m');
  });

  it('formats counts and durations', () => {
    expect(count(1234567)).toBe('1,234,567');
    expect(duration(850)).toBe('850 ms');
    expect(duration(4210)).toBe('4.2 s');
    expect(duration(null)).toBe('n/a');
    expect(duration(Number.NaN)).toBe('n/a');
  });
});
