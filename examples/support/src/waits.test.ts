import { describe, expect, it } from 'vitest';
import { ExampleAborted } from './shutdown.js';
import { sleep, until } from './waits.js';

describe('waits', () => {
  it('give up with ExampleAborted once the run is aborted', async () => {
    const controller = new AbortController();
    const sleeping = sleep(60_000, controller.signal);
    const polling = until(() => false, 60_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toBeInstanceOf(ExampleAborted);
    await expect(polling).rejects.toBeInstanceOf(ExampleAborted);
    await expect(sleep(1, controller.signal)).rejects.toBeInstanceOf(ExampleAborted);
  });

  it('until answers true as soon as the check holds, false after the timeout', async () => {
    let n = 0;
    expect(await until(() => ++n === 3, 5_000)).toBe(true);
    expect(n).toBe(3);
    expect(await until(async () => false, 150)).toBe(false);
  });
});
