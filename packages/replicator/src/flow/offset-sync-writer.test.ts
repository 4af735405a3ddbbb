import type { OffsetSync } from '@mirrorkit/core';
import { describe, expect, it } from 'vitest';
import {
  MAX_OUTSTANDING_OFFSET_SYNC_SENDS,
  MAX_PENDING_SYNCS_PER_PARTITION,
  OffsetSyncWriter,
} from './offset-sync-writer.js';

/** A send that completes when the test says so. */
function controlledSends() {
  const calls: { syncs: readonly OffsetSync[]; done: () => void; fail: (e: Error) => void }[] = [];
  const send = (syncs: readonly OffsetSync[]) =>
    new Promise<void>((resolve, reject) => calls.push({ syncs, done: resolve, fail: reject }));
  return { calls, send };
}

const flushMicrotasks = () => new Promise((r) => setImmediate(r));

describe('OffsetSyncWriter', () => {
  it('never waits: queueing returns at once and at most 10 sends are outstanding', async () => {
    const { calls, send } = controlledSends();
    const written: OffsetSync[] = [];
    const w = new OffsetSyncWriter({
      offsetLagMax: 1,
      send,
      onWritten: (s) => written.push(...s),
      onError: () => {},
    });
    for (let i = 0; i < 50; i++) {
      w.queue('t', i, 0n, 0n);
      w.fire();
    }
    expect(calls).toHaveLength(MAX_OUTSTANDING_OFFSET_SYNC_SENDS);
    expect(w.outstanding).toBe(10);
    expect(w.pending).toBe(40);
    // One completes: everything pending goes out together in one request.
    calls[0]?.done();
    await flushMicrotasks();
    expect(calls).toHaveLength(11);
    expect(calls[10]?.syncs).toHaveLength(40);
    for (const c of calls.slice(1)) c.done();
    await flushMicrotasks();
    expect(written.map((s) => s.partition).sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
  });

  it('follows MM2 rule: first record, then every offset.lag.max, and delays the rest', async () => {
    const { calls, send } = controlledSends();
    const w = new OffsetSyncWriter({ offsetLagMax: 10, send, onWritten: () => {}, onError: () => {} });
    for (let o = 0n; o < 25n; o++) w.queue('t', 0, o, o + 100n);
    w.fire();
    expect(calls[0]?.syncs.map((s) => s.upstreamOffset)).toEqual([0n, 11n, 22n]);
    calls[0]?.done();
    await flushMicrotasks();
    // The latest copy (24) was not due; promotion writes it, so an idle partition ends synced.
    w.promoteDelayed();
    w.fire();
    expect(calls[1]?.syncs.map((s) => s.upstreamOffset)).toEqual([24n]);
  });

  it('a skipped upstream offset (a record skipped or a transaction marker) gets a sync', () => {
    const { calls, send } = controlledSends();
    const w = new OffsetSyncWriter({ offsetLagMax: 100, send, onWritten: () => {}, onError: () => {} });
    w.queue('t', 0, 0n, 0n);
    w.queue('t', 0, 1n, 1n);
    w.queue('t', 0, 3n, 2n);
    w.fire();
    expect(calls[0]?.syncs.map((s) => [s.upstreamOffset, s.downstreamOffset])).toEqual([
      [0n, 0n],
      [3n, 2n],
    ]);
  });

  it('a failed send is reported and dropped, never thrown at the caller, and later syncs still go', async () => {
    const { calls, send } = controlledSends();
    const errors: unknown[] = [];
    const written: OffsetSync[] = [];
    const w = new OffsetSyncWriter({
      offsetLagMax: 1,
      send,
      onWritten: (s) => written.push(...s),
      onError: (e) => errors.push(e),
    });
    w.queue('t', 0, 0n, 0n);
    w.fire();
    calls[0]?.fail(new Error('NOT_ENOUGH_REPLICAS'));
    await flushMicrotasks();
    expect(errors).toHaveLength(1);
    expect(written).toHaveLength(0);
    w.queue('t', 0, 5n, 5n);
    w.fire();
    calls[1]?.done();
    await flushMicrotasks();
    expect(written.map((s) => s.upstreamOffset)).toEqual([5n]);
  });

  it('keeps a bounded number of waiting syncs per partition while sends are stuck, and the oldest', async () => {
    const { calls, send } = controlledSends();
    const w = new OffsetSyncWriter({ offsetLagMax: 1, send, onWritten: () => {}, onError: () => {} });
    for (let i = 0; i < 10; i++) {
      w.queue('other', i, 0n, 0n);
      w.fire();
    }
    for (let o = 0n; o < 300n; o++) w.queue('t', 0, o * 2n, o * 2n);
    w.fire();
    expect(calls).toHaveLength(10);
    expect(w.pending).toBe(MAX_PENDING_SYNCS_PER_PARTITION);
    expect(w.dropped).toBe(300 - MAX_PENDING_SYNCS_PER_PARTITION);
    calls[0]?.done();
    await flushMicrotasks();
    const sent = calls[10]?.syncs.map((s) => s.upstreamOffset) ?? [];
    expect(sent[0]).toBe(0n);
    expect(sent[sent.length - 1]).toBe(598n);
  });

  it('flush sends the delayed syncs and waits for them, within its bound', async () => {
    const written: OffsetSync[] = [];
    const w = new OffsetSyncWriter({
      offsetLagMax: 100,
      send: async () => {},
      onWritten: (s) => written.push(...s),
      onError: () => {},
    });
    w.queue('t', 0, 0n, 0n);
    w.queue('t', 0, 1n, 1n);
    w.fire();
    await w.flush(1000);
    expect(written.map((s) => s.upstreamOffset)).toEqual([0n, 1n]);
    const stuck = new OffsetSyncWriter({
      offsetLagMax: 1,
      send: () => new Promise(() => {}),
      onWritten: () => {},
      onError: () => {},
    });
    stuck.queue('t', 0, 0n, 0n);
    const started = Date.now();
    await stuck.flush(200);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
