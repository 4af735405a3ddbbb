import { describe, expect, it } from 'vitest';
import { firstLine, raceDeadline } from './deadline.js';

describe('raceDeadline', () => {
  it('settles as the promise does when it comes first', async () => {
    await expect(raceDeadline(Promise.resolve(7), 1000, () => 'late')).resolves.toBe(7);
    await expect(raceDeadline(Promise.reject(new Error('boom')), 1000, () => 'late')).rejects.toThrow('boom');
  });

  it('settles with what expire returns, or rejects with what it throws, once the time is up', async () => {
    const never = new Promise<number>(() => undefined);
    await expect(raceDeadline(never, 5, () => undefined)).resolves.toBeUndefined();
    await expect(
      raceDeadline(never, 5, () => {
        throw new Error('listing timed out after 5 ms');
      }),
    ).rejects.toThrow('listing timed out after 5 ms');
  });

  it('never calls expire when the promise came first', async () => {
    let expired = 0;
    await raceDeadline(Promise.resolve(1), 5, () => expired++);
    await new Promise((r) => setTimeout(r, 20));
    expect(expired).toBe(0);
  });
});

describe('firstLine', () => {
  it('keeps the first line of an error message, or of anything thrown', () => {
    expect(firstLine(new Error('broker down\n  at stack'))).toBe('broker down');
    expect(firstLine('plain')).toBe('plain');
  });
});
