import { describe, expect, it } from 'vitest';
import { inRounds } from './rounds.js';
import { ExampleAborted } from './shutdown.js';

describe('inRounds', () => {
  it('splits the indices into consecutive batches of ceil(total / rounds), the last ones short or empty', async () => {
    const batches: number[][] = [];
    await inRounds(25, 10, undefined, async (indices) => void batches.push(indices));
    expect(batches).toHaveLength(10);
    expect(batches.slice(0, 2)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(batches.slice(7)).toEqual([[21, 22, 23], [24], []]);
  });

  it('stops before the next round once the run is aborted', async () => {
    const controller = new AbortController();
    const batches: number[][] = [];
    const writing = inRounds(10, 5, controller.signal, async (indices) => {
      batches.push(indices);
      if (batches.length === 2) controller.abort();
    });
    await expect(writing).rejects.toBeInstanceOf(ExampleAborted);
    expect(batches).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });
});
