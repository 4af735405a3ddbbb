import { describe, expect, it } from 'vitest';
import { RestartBackoff } from './restart-backoff.js';

describe('RestartBackoff', () => {
  it('doubles from 1 s up to 30 s while the loop keeps crashing', () => {
    const b = new RestartBackoff();
    const delays = Array.from({ length: 8 }, (_, i) => b.crashed(i));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('starts again from 1 s after a healthy period, not after a short one', () => {
    const b = new RestartBackoff();
    b.crashed(0);
    b.crashed(1);
    b.healthy(10);
    expect(b.crashed(20)).toBe(4000);
    b.healthy(100);
    expect(b.crashed(100 + 60_000)).toBe(1000);
  });
});
