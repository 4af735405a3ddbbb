import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import {
  type AbortedTransaction,
  alignAbortedTransactions,
  type FetchedRecord,
} from '../aborted-transactions.js';
import { MirrorKitCompressionError } from './compression-error.js';
import { MirrorKitUndecodableBatchError } from './undecodable-batch-error.js';

// kafkajs decodes a whole fetch response at once: one batch that does not decompress throws out
// of the response, the fetch is retried, fails the same way, and the consumer crashes and
// restarts forever, with every partition it fetches from that broker stalled and no word of
// which one is to blame. So MirrorKit replaces kafkajs's per-partition record-set decoder (shared
// by fetch v4–v11) with one that stops at the batch that does not decode, keeps the records
// before it, and marks the partition; and wraps Broker#fetch, which knows topic and partition,
// to turn the mark into a MirrorKitUndecodableBatchError. A partition is never advanced past the
// batch: the next fetch asks for it again. Inside guardFetches() the error goes to the guard and
// the other partitions carry on; outside, the fetch fails with it, as kafkajs would, but named.
// The same wrapper corrects the aborted transactions a read_committed response lists before
// kafkajs filters with them (see alignAbortedTransactions): kafkajs alone lets aborted records through.

const requireFromHere = createRequire(import.meta.url);
const UNDECODABLE = Symbol('mirrorkit.undecodable');
const MAGIC_OFFSET = 16;
const RECORD_BATCH_OVERHEAD = 49;

interface Decoder {
  buffer: Buffer;
  offset: number;
  readInt32(): number;
  readBytes(size: number): Buffer;
  canReadBytes(size: number): boolean;
}
type DecoderClass = new (buffer: Buffer) => Decoder;
type RecordBatchDecoder = (decoder: Decoder) => Promise<{ records: unknown[] }>;
type MessageSetDecoder = (decoder: Decoder, size: number) => Promise<unknown[]>;
interface Marked extends Array<unknown> {
  [UNDECODABLE]?: { offset: bigint; error: MirrorKitCompressionError };
}
interface FetchResponse {
  responses?: {
    topicName: string;
    partitions: { partition: number; messages: Marked; abortedTransactions?: AbortedTransaction[] }[];
  }[];
}
interface FetchRequest {
  topics?: { topic: string; partitions: { partition: number; fetchOffset: string }[] }[];
}
interface BrokerPrototype {
  fetch(this: unknown, request: FetchRequest): Promise<FetchResponse>;
}

function fetchOffsetOf(request: FetchRequest, topic: string, partition: number): bigint {
  const asked = request.topics
    ?.find((t) => t.topic === topic)
    ?.partitions.find((p) => p.partition === partition);
  return asked ? BigInt(asked.fetchOffset) : 0n;
}

/** Told of each partition whose next batch cannot be decoded, once per fetch that met it. */
export type UndecodableBatchHandler = (error: MirrorKitUndecodableBatchError) => void;

const guards = new AsyncLocalStorage<UndecodableBatchHandler>();

/**
 * Runs `work` (a kafkajs `consumer.run()`, say) so that a batch that cannot be decoded is handed
 * to `onUndecodable`, naming topic, partition and offset, while every other partition goes on
 * being fetched. The partition itself stays at that batch (fetched again each time): pause it.
 */
export function guardFetches<T>(onUndecodable: UndecodableBatchHandler, work: () => T): T {
  return guards.run(onUndecodable, work);
}

function kafkajsModule<T>(path: string): { id: string; exports: T } {
  const id = requireFromHere.resolve(`kafkajs/src/${path}`);
  requireFromHere(id);
  const loaded = requireFromHere.cache[id];
  if (!loaded) throw new Error(`kafkajs module ${path} is not in the module cache`);
  return loaded as unknown as { id: string; exports: T };
}

let installed: boolean | undefined;

/**
 * Installs the guard in the kafkajs that core resolves (the application's: kafkajs is a peer
 * dependency). False when kafkajs had already loaded its fetch decoders, or its layout is not the
 * one this was written against (2.2.x); fetches then behave exactly as kafkajs's own.
 */
export function installFetchGuard(): boolean {
  if (installed !== undefined) return installed;
  installed = false;
  try {
    const responses = ['v4', 'v5', 'v6', 'v7', 'v8', 'v9', 'v10', 'v11'].map((v) =>
      requireFromHere.resolve(`kafkajs/src/protocol/requests/fetch/${v}/response`),
    );
    // A response module already loaded holds kafkajs's own decoder: too late to replace it.
    if (responses.some((id) => requireFromHere.cache[id] !== undefined)) return false;
    const Decoder = kafkajsModule<DecoderClass>('protocol/decoder').exports;
    const decodeBatch = kafkajsModule<RecordBatchDecoder>('protocol/recordBatch/v0/decoder').exports;
    const decodeMessageSet = kafkajsModule<MessageSetDecoder>('protocol/messageSet/decoder').exports;
    const { MAGIC_BYTE } = kafkajsModule<{ MAGIC_BYTE: number }>('protocol/recordBatch/v0').exports;
    const decodeMessages = kafkajsModule<(decoder: Decoder) => Promise<unknown[]>>(
      'protocol/requests/fetch/v4/decodeMessages',
    );
    const broker = kafkajsModule<{ prototype: BrokerPrototype }>('broker');

    decodeMessages.exports = async (decoder: Decoder): Promise<unknown[]> => {
      const size = decoder.readInt32();
      if (size <= 0 || !decoder.canReadBytes(size)) return [];
      const bytes = decoder.readBytes(size);
      // Too short to hold a batch header: the partial tail of a size-limited fetch.
      if (bytes.length <= MAGIC_OFFSET) return [];
      const inner = new Decoder(bytes);
      if (bytes.readInt8(MAGIC_OFFSET) !== MAGIC_BYTE) return decodeMessageSet(inner, size);
      const records: Marked = [];
      while (inner.canReadBytes(RECORD_BATCH_OVERHEAD)) {
        const offset = inner.buffer.readBigInt64BE(inner.offset);
        try {
          const batch = await decodeBatch(inner);
          for (const record of batch.records) records.push(record);
        } catch (error) {
          // The tail of a fetch can end inside a batch (maxBytes): that batch comes whole next time.
          if ((error as Error).name === 'KafkaJSPartialMessageError') break;
          if (!(error instanceof MirrorKitCompressionError)) throw error;
          records[UNDECODABLE] = { offset, error };
          break;
        }
      }
      return records;
    };

    const fetch = broker.exports.prototype.fetch;
    broker.exports.prototype.fetch = async function guardedFetch(
      request: FetchRequest,
    ): Promise<FetchResponse> {
      const response = await fetch.call(this, request);
      const guard = guards.getStore();
      for (const topic of response.responses ?? []) {
        for (const partition of topic.partitions) {
          // kafkajs's read_committed filter lets records of aborted transactions through when a
          // fetch begins inside several (see alignAbortedTransactions): fixed before it runs.
          if (partition.abortedTransactions !== undefined && partition.abortedTransactions.length > 0)
            partition.abortedTransactions = alignAbortedTransactions(
              partition.messages as FetchedRecord[],
              partition.abortedTransactions,
              fetchOffsetOf(request, topic.topicName, partition.partition),
            );
          const mark = partition.messages?.[UNDECODABLE];
          if (!mark) continue;
          // Records before the bad batch are delivered first (pausing now would drop them with
          // the rest of this response); the next fetch then starts at the bad batch itself.
          const from = fetchOffsetOf(request, topic.topicName, partition.partition);
          if (partition.messages.some((m) => BigInt((m as { offset: string }).offset) >= from)) continue;
          const error = new MirrorKitUndecodableBatchError(
            topic.topicName,
            partition.partition,
            mark.offset,
            mark.error,
          );
          if (!guard) throw error;
          guard(error);
        }
      }
      return response;
    };
    installed = true;
  } catch {
    installed = false;
  }
  return installed;
}
