import type { Consumer } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MirrorKitCompressionError } from './compression-error.js';
import { MirrorKitUndecodableBatchError } from './undecodable-batch-error.js';
import { UndecodablePartitionHold } from './undecodable-partition-hold.js';

function undecodable(topic: string, partition: number, offset: bigint): MirrorKitUndecodableBatchError {
  return new MirrorKitUndecodableBatchError(
    topic,
    partition,
    offset,
    new MirrorKitCompressionError(
      'COMPRESSION_CORRUPT',
      'zstd',
      'zstd: 10 compressed bytes do not decompress',
    ),
  );
}

/** Records pause and resume calls; run() does nothing. */
function recordingConsumer(): { calls: string[]; consumer: Consumer } {
  const calls: string[] = [];
  const name = (t: { topic: string; partitions: number[] }[]) =>
    `${t[0]?.topic}[${t[0]?.partitions.join(',')}]`;
  const consumer = {
    pause: (t: { topic: string; partitions: number[] }[]) => calls.push(`pause ${name(t)}`),
    resume: (t: { topic: string; partitions: number[] }[]) => calls.push(`resume ${name(t)}`),
    run: async () => undefined,
  };
  return { calls, consumer: consumer as unknown as Consumer };
}

describe('UndecodablePartitionHold', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pauses the named partition once per hold, reports it, and fetches it again after retryMs', async () => {
    vi.useFakeTimers();
    const held: string[] = [];
    const hold = new UndecodablePartitionHold({ onHeld: (e) => held.push(e.message), retryMs: 1000 });
    const { calls, consumer } = recordingConsumer();
    await hold.run(consumer, {});
    hold.report(undecodable('orders', 2, 100n));
    hold.report(undecodable('orders', 2, 100n)); // a fetch that was in flight reports it again
    hold.report(undecodable('payments', 0, 7n));
    expect(calls).toEqual(['pause orders[2]', 'pause payments[0]']);
    expect(held).toEqual([
      'orders[2]: the record batch at offset 100 cannot be decoded: zstd: 10 compressed bytes do not decompress',
      'payments[0]: the record batch at offset 7 cannot be decoded: zstd: 10 compressed bytes do not decompress',
    ]);
    expect(hold.held.map((e) => `${e.topic}[${e.partition}]@${e.offset}`)).toEqual([
      'orders[2]@100',
      'payments[0]@7',
    ]);
    vi.advanceTimersByTime(1000);
    expect(calls.slice(2)).toEqual(['resume orders[2]', 'resume payments[0]']);
    expect(hold.held).toEqual([]);
    // Still bad after the retry: held and reported again.
    hold.report(undecodable('orders', 2, 100n));
    expect(calls.at(-1)).toBe('pause orders[2]');
    expect(held).toHaveLength(3);
  });

  it('after clear() (the consumer is replaced) nothing is resumed on the old consumer', async () => {
    vi.useFakeTimers();
    const hold = new UndecodablePartitionHold({ onHeld: () => undefined, retryMs: 1000 });
    const old = recordingConsumer();
    await hold.run(old.consumer, {});
    hold.report(undecodable('orders', 0, 5n));
    hold.clear();
    vi.advanceTimersByTime(5000);
    expect(old.calls).toEqual(['pause orders[0]']);
    // Reported with no consumer running: nothing to pause, nothing reported twice later.
    hold.report(undecodable('orders', 0, 5n));
    expect(hold.held).toEqual([]);
    const next = recordingConsumer();
    await hold.run(next.consumer, {});
    hold.report(undecodable('orders', 0, 5n));
    expect(next.calls).toEqual(['pause orders[0]']);
  });
});
