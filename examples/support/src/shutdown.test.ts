import { describe, expect, it } from 'vitest';
import { Teardown } from './shutdown.js';

describe('Teardown', () => {
  it('releases newest first, once, and goes on past a failing step', async () => {
    const log: string[] = [];
    const released: string[] = [];
    const teardown = new Teardown((line) => log.push(line));
    teardown.add('a', async () => void released.push('a'));
    teardown.add('b', async () => {
      throw new Error('stuck');
    });
    teardown.add('c', async () => void released.push('c'));
    await Promise.all([teardown.close(), teardown.close()]);
    expect(released).toEqual(['c', 'a']);
    expect(log).toEqual(['stopping b failed: stuck']);
  });

  it('releases a step added after close() at once, and close() waits for it', async () => {
    const released: string[] = [];
    const teardown = new Teardown(() => undefined);
    await teardown.close();
    teardown.add('late', async () => void released.push('late'));
    await teardown.close();
    expect(released).toEqual(['late']);
  });

  it('closes on abort, waits for what is still starting and skips what never started', async () => {
    const released: string[] = [];
    const controller = new AbortController();
    const teardown = new Teardown(() => undefined, controller.signal);
    let started: (value: string) => void = () => undefined;
    const starting = teardown.started(
      'clusters',
      new Promise<string>((resolve) => {
        started = resolve;
      }),
      async (value) => void released.push(value),
    );
    void teardown.started(
      'never',
      Promise.reject(new Error('no jar')),
      async () => void released.push('never'),
    );
    controller.abort();
    const closing = teardown.close();
    started('clusters');
    await closing;
    expect(await starting).toBe('clusters');
    expect(released).toEqual(['clusters']);
  });
});
