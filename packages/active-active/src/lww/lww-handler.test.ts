import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { MessagePayload } from '../dedup/dedup-handler.js';
import { HybridLogicalClock } from './hybrid-logical-clock.js';
import type { LwwEntry } from './lww.js';
import { lww } from './lww-handler.js';
import { HLC_HEADER } from './record-stamp.js';

function payload(key: string, value: string | null, stamp?: string, timestamp = '0'): MessagePayload {
  return {
    topic: 'accounts',
    partition: 0,
    message: {
      key: Buffer.from(key),
      value: value === null ? null : Buffer.from(value),
      offset: '0',
      timestamp,
      attributes: 0,
      headers: stamp ? { [HLC_HEADER]: Buffer.from(stamp) } : {},
    } as KafkaMessage,
  };
}

function setup(onSkew: 'report' | 'reject' = 'report') {
  const state = new Map<string, LwwEntry<string>>();
  const clock = new HybridLogicalClock({ region: 'us-west', now: () => 10_000, maxSkewMs: 1000, onSkew });
  const handler = lww<MessagePayload, string>({
    clock,
    store: { get: (k) => state.get(k), put: (k, e) => void state.set(k, e) },
    // value "acct=amount"; a null value deletes.
    writeOf: ({ message }) => {
      const text = message.value?.toString();
      const account = message.key?.toString().split('/')[1] ?? 'acct';
      return text === undefined ? { key: account, deleted: true } : { key: account, value: text };
    },
  });
  const events: string[] = [];
  for (const name of ['applied', 'stale', 'skew', 'invalid-stamp'] as const)
    handler.events.on(name, () => events.push(name));
  return { state, clock, handler, events };
}

describe('lww()', () => {
  it('applies only writes newer than the stored one, in any arrival order', async () => {
    const { state, handler, events } = setup();
    await handler(payload('us-east:1/a', 'v2', '9000.0@us-east'));
    await handler(payload('us-west:2/a', 'v1', '8000.5@us-west'));
    await handler(payload('us-west:3/a', 'v3', '9000.0@us-west'));
    expect(state.get('a')?.value).toBe('v3');
    expect(events).toEqual(['applied', 'stale', 'applied']);
  });

  it('absorbs applied stamps into the local clock', async () => {
    const { clock, handler } = setup();
    await handler(payload('us-east:1/a', 'v', '10500.3@us-east'));
    expect(clock.now()).toEqual({ wallMs: 10500, counter: 5, region: 'us-west' });
  });

  it('applies deletes as tombstones', async () => {
    const { state, handler } = setup();
    await handler(payload('us-east:1/a', 'v', '9000.0@us-east'));
    await handler(payload('us-east:2/a', null, '9001.0@us-east'));
    await handler(payload('us-east:3/a', 'late', '8999.0@us-east'));
    expect(state.get('a')?.deleted).toBe(true);
  });

  it('falls back to the record timestamp without an HLC header', async () => {
    const { state, handler } = setup();
    await handler(payload('us-east:1/a', 'stamped', '5000.0@us-east'));
    await handler(payload('us-east:2/a', 'plain', undefined, '6000'));
    expect(state.get('a')?.value).toBe('plain');
    expect(state.get('a')?.stamp).toEqual({ wallMs: 6000, counter: 0, region: 'us-east' });
  });

  it('reports skew, and with reject does not apply the write', async () => {
    const reporting = setup('report');
    await reporting.handler(payload('us-east:1/a', 'future', '99000.0@us-east'));
    expect(reporting.events).toEqual(['skew', 'applied']);
    const rejecting = setup('reject');
    await rejecting.handler(payload('us-east:1/a', 'future', '99000.0@us-east'));
    expect(rejecting.events).toEqual(['skew']);
    expect(rejecting.state.size).toBe(0);
  });

  it('skips and reports a malformed stamp instead of crashing', async () => {
    const { state, handler, events } = setup();
    await handler(payload('us-east:1/a', 'v', 'yesterday'));
    expect(events).toEqual(['invalid-stamp']);
    expect(state.size).toBe(0);
  });

  it('with a synchronous store, concurrent records of one key cannot interleave between read and write', async () => {
    // Two copies of a write (say from `accounts` and `us-east.accounts`) handled concurrently.
    for (const order of [
      ['9000.0@us-east', '8000.0@us-west'],
      ['8000.0@us-west', '9000.0@us-east'],
    ]) {
      const { state, handler } = setup();
      await Promise.all(order.map((stamp, i) => handler(payload(`r:${i}/a`, stamp, stamp))));
      expect(state.get('a')?.value).toBe('9000.0@us-east');
    }
  });

  it('with an asynchronous store, concurrent records of one key wait for each other between read and write', async () => {
    for (const order of [
      ['9000.0@us-east', '8000.0@us-west', '8500.0@us-west'],
      ['8000.0@us-west', '9000.0@us-east', '8500.0@us-west'],
      ['8000.0@us-west', '8500.0@us-west', '9000.0@us-east'],
    ]) {
      for (const asyncPut of [false, true]) {
        const state = new Map<string, LwwEntry<string>>();
        let reading = 0;
        let maxReading = 0;
        const handler = lww<MessagePayload, string>({
          clock: new HybridLogicalClock({ region: 'us-west', now: () => 10_000 }),
          store: {
            get: async (k) => {
              maxReading = Math.max(maxReading, ++reading);
              await new Promise((r) => setTimeout(r, 2));
              return state.get(k);
            },
            put: (k, e) => {
              reading--;
              if (!asyncPut) return void state.set(k, e);
              return new Promise<void>((r) => setTimeout(() => r(void state.set(k, e)), 2));
            },
          },
          writeOf: ({ message }) => ({ key: 'a', value: message.value?.toString() ?? '' }),
        });
        handler.events.on('stale', () => reading--);
        await Promise.all(order.map((stamp, i) => handler(payload(`r:${i}/a`, stamp, stamp))));
        expect(state.get('a')?.value).toBe('9000.0@us-east');
        expect(maxReading).toBe(1);
      }
    }
  });

  it('awaits an asynchronous store', async () => {
    const state = new Map<string, LwwEntry<string>>();
    const handler = lww<MessagePayload, string>({
      clock: new HybridLogicalClock({ region: 'us-west', now: () => 10_000 }),
      store: {
        get: async (k) => state.get(k),
        put: (k, e) => new Promise<void>((r) => setTimeout(() => r(void state.set(k, e)), 1)),
      },
      writeOf: ({ message }) => ({ key: 'a', value: message.value?.toString() ?? '' }),
    });
    const applied: string[] = [];
    handler.events.on('applied', (e) => applied.push(`${e.stamp.wallMs}`));
    await handler(payload('us-east:1/a', 'new', '9000.0@us-east'));
    await handler(payload('us-east:2/a', 'old', '8000.0@us-east'));
    expect(state.get('a')?.value).toBe('new');
    expect(applied).toEqual(['9000']);
  });
});
