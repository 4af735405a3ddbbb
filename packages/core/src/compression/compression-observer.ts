import { AsyncLocalStorage } from 'node:async_hooks';
import type { CompressionCodecName } from './compression-type.js';

/** One batch compressed or decompressed by a kafkajs client through MirrorKit's codecs. */
export interface CompressionObservation {
  readonly codec: CompressionCodecName;
  readonly direction: 'compress' | 'decompress';
  readonly uncompressedBytes: number;
  readonly compressedBytes: number;
}

/** Told of every batch (de)compressed inside the call it observes. */
export type CompressionObserver = (observation: CompressionObservation) => void;

// kafkajs compresses inside producer.send() and decompresses inside the consumer's fetch loop,
// where no caller-supplied context reaches the codec. The async context of the call does, so a
// replicator can count the bytes its own sends saved without kafkajs knowing about it.
const observers = new AsyncLocalStorage<CompressionObserver>();

/**
 * Runs `work` with `observer` told of every batch that kafkajs (de)compresses in its async
 * context: for a `producer.send()`, the batches it writes (once per attempt); for a
 * `consumer.run()`, every batch its fetches decompress.
 */
export function observeCompression<T>(observer: CompressionObserver, work: () => T): T {
  return observers.run(observer, work);
}

/** @internal The observer of the current async context, if any. */
export function currentCompressionObserver(): CompressionObserver | undefined {
  return observers.getStore();
}
