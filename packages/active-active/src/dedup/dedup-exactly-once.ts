import { EventEmitter } from 'eventemitter3';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer, Sender } from 'kafkajs';
import type { CoPartitioning } from '../assignment/co-partitioned-assigner.js';
import { coPartitionedNeed, withAssignmentNeed } from '../assignment/co-partitioned-need.js';
import { MirrorKitSeenKeyStoreError } from '../errors.js';
import type { PartitionedSeenKeyStore } from '../seen-keys/partitioned-seen-key-store.js';
import { encodeSeenAt } from '../seen-keys/seen-key-codec.js';
import type { DedupEvents } from './dedup-handler.js';
import { dedupKeyText, readDedupKey } from './dedup-key.js';
import { type Deduplicator, fingerprintAccess } from './deduplicator.js';
import type { Fingerprint } from './key-fingerprint.js';

/** What the handler of {@link dedupExactlyOnce} gets for each record not handled before. */
export interface ExactlyOncePayload {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
  /** The alias of the cluster the record was read from (MirrorKit's consumer sets it). */
  readonly cluster?: string;
  /**
   * Where the handler writes its outputs (kafkajs's `send`/`sendBatch`): they are committed with
   * the record's offset and its key's seen-key record, in one Kafka transaction, or not at all.
   */
  readonly transaction: Sender;
  readonly heartbeat: () => Promise<void>;
}

/** Options of {@link dedupExactlyOnce}. */
export interface DedupExactlyOnceOptions {
  deduplicator: Deduplicator;
  /** The store on the cluster consumed: its keys are written inside the transactions. */
  store: PartitionedSeenKeyStore;
  /** The cluster consumed, where outputs, keys and offsets are committed together. */
  kafka: Kafka;
  /** The consumer group (its offsets go in the transactions; transactional ids derive from it). */
  groupId: string;
  /** The alias of that cluster: a record read elsewhere (after a failover) is refused. */
  cluster?: string;
  /** As in {@link dedup}. */
  keyOf?: (payload: { topic: string; partition: number; message: KafkaMessage }) => string | null;
  /** As in {@link dedup}. Default `pass`. */
  invalidKey?: 'pass' | 'skip';
  /** As in {@link dedup}: the group's assignment asked of MirrorKit's consumer. */
  coPartitioning?: CoPartitioning | false;
  /** The transactions' timeout. Default 60 s (kafkajs's). */
  transactionTimeoutMs?: number;
}

/** Counters of a {@link dedupExactlyOnce} handler (committed transactions only). */
export interface ExactlyOnceStats {
  readonly processed: number;
  readonly duplicates: number;
  readonly invalidKeys: number;
  readonly transactions: number;
  /** Transactions aborted (a failed handler or write, fencing): their batches are read again. */
  readonly aborted: number;
}

/** A {@link dedupExactlyOnce} handler. */
export interface DedupExactlyOnceHandler {
  (payload: EachBatchPayload & { readonly cluster?: string }): Promise<void>;
  /** Spread into `consumer.run`: offsets are committed by the transactions, never by kafkajs. */
  readonly runConfig: {
    readonly eachBatch: (payload: EachBatchPayload) => Promise<void>;
    readonly eachBatchAutoResolve: false;
    readonly autoCommit: false;
  };
  readonly events: EventEmitter<Pick<DedupEvents, 'duplicate' | 'invalid-key'>>;
  stats(): ExactlyOnceStats;
  /**
   * Follows a plain kafkajs consumer's joins (MirrorKit's consumer does it by itself): after each,
   * every partition is fenced and restored again before its next record. Returns the unsubscribe.
   */
  follow(consumer: Consumer): () => void;
  /** Disconnects the transactional producers. */
  close(): Promise<void>;
}

/**
 * Dedup with exactly-once effects on Kafka, through a SIGKILL: for each batch, the handler's
 * outputs (written through `transaction`), the seen-key records of the keys it handled and the
 * batch's next offset are committed in one transaction on the cluster consumed — or none of them.
 * Where {@link dedup} is at-least-once for a record whose handler succeeded in a process that died
 * before its key was written, here that record's outputs were never committed (a `read_committed`
 * reader does not see them), its key is not in the store and its offset not committed: the next
 * owner handles it, once.
 *
 * Fencing is by partition number, as the sets of {@link CoPartitioning} go: one transactional id
 * per partition number p of the group (`<groupId>.dedup.<p>`), initialised by whoever owns p now
 * before it restores p's keys. That aborts a transaction a dead owner left open, and fences a
 * zombie (a process paused past its session timeout): its commit fails, its outputs never show.
 * Keys handled in a transaction enter the seen-set only once it committed, so an aborted one
 * leaves nothing behind that would skip its records when they come again.
 *
 * Outputs must go to the cluster consumed, through `transaction`; other side effects are not
 * covered (they happen at least once, as with {@link dedup}). Readers of the outputs and of the
 * store use `read_committed` (kafkajs's default; the store's restore does).
 *
 * @example
 * ```ts
 * const store = new PartitionedSeenKeyStore(kafka, { topic: 'ledger.mirrorkit-seen', partitions: 12 });
 * await store.open(seen);
 * const handler = dedupExactlyOnce(
 *   async ({ message, transaction }) => {
 *     await transaction.send({ topic: 'ledger-entries', messages: [{ key: message.key, value: entryOf(message) }] });
 *   },
 *   { deduplicator: seen, store, kafka, groupId: 'ledger' },
 * );
 * await consumer.run({ ...handler.runConfig }); // MirrorKit's consumer: co-partitioned by itself
 * ```
 */
export function dedupExactlyOnce(
  handler: (payload: ExactlyOncePayload) => Promise<void>,
  options: DedupExactlyOnceOptions,
): DedupExactlyOnceHandler {
  const { deduplicator, store, kafka, groupId, keyOf } = options;
  const events = new EventEmitter<Pick<DedupEvents, 'duplicate' | 'invalid-key'>>();
  const stats = { processed: 0, duplicates: 0, invalidKeys: 0, transactions: 0, aborted: 0 };
  const producers = new Map<number, Promise<Producer>>();
  // Batches of one partition number (orders[p], us-west.orders[p]) share its transactional id:
  // one transaction at a time each, which also orders copies of one key.
  const turns = new Map<number, Promise<unknown>>();
  const fp: Fingerprint = { hi: 0, lo: 0 };

  const fence = (p: number): Promise<Producer> => {
    let producer = producers.get(p);
    if (producer === undefined) {
      const made = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        transactionalId: `${groupId}.dedup.${p}`,
        ...(options.transactionTimeoutMs === undefined
          ? {}
          : { transactionTimeout: options.transactionTimeoutMs }),
      });
      // connect() initialises the transactional id: the fence.
      producer = made.connect().then(() => made);
      producer.catch(() => producers.delete(p));
      producers.set(p, producer);
    }
    return producer;
  };
  const drop = async (p: number) => {
    const producer = producers.get(p);
    producers.delete(p);
    await (await producer?.catch(() => undefined))?.disconnect().catch(() => undefined);
  };
  // After a join every partition is fenced and restored again: another member may have owned it.
  const rejoined = () => {
    for (const p of [...producers.keys()]) void drop(p);
    store.assign(undefined);
  };

  const runBatch = async (payload: EachBatchPayload & { readonly cluster?: string }) => {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    const { topic, partition } = batch;
    if (options.cluster !== undefined && payload.cluster !== undefined && payload.cluster !== options.cluster)
      throw new MirrorKitSeenKeyStoreError(
        `dedupExactlyOnce commits on ${options.cluster}; a batch of ${topic} came from ${payload.cluster}`,
        'SEEN_KEY_STORE_UNKNOWN_CLUSTER',
      );
    const producer = await fence(partition);
    // Only after the fence: a transaction the previous owner left open is aborted by now, so the
    // restore is not held at its records, and reads none of them.
    const restoring = store.preparePartition(payload.cluster, partition, deduplicator);
    if (restoring !== undefined) await restoring;
    await store.reservePartition(partition);
    const txn = await producer.transaction();
    const handled = new Set<string>();
    const counts = { processed: 0, duplicates: 0, invalidKeys: 0 };
    let last: string | undefined;
    let committedAt = 0;
    try {
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        const record = { topic, partition, message };
        // Hashed once: readDedupKey leaves the key's fingerprint in fp for the lookup.
        const read = readDedupKey(record, keyOf, fp);
        const key = read === false ? null : dedupKeyText(record, read);
        if (key === null) {
          counts.invalidKeys++;
          const action = options.invalidKey ?? 'pass';
          events.emit('invalid-key', { topic, partition, offset: message.offset, action });
          if (action === 'pass')
            await handler({ ...record, cluster: payload.cluster, transaction: txn, heartbeat });
        } else if (handled.has(key) || fingerprintAccess.has(deduplicator, fp.hi, fp.lo)) {
          counts.duplicates++;
          events.emit('duplicate', { key, topic, partition, offset: message.offset });
        } else {
          await handler({ ...record, cluster: payload.cluster, transaction: txn, heartbeat });
          handled.add(key);
          counts.processed++;
        }
        last = message.offset;
        await heartbeat();
      }
      if (last === undefined) {
        await txn.abort();
        return;
      }
      committedAt = Date.now();
      if (handled.size > 0)
        await txn.send({
          topic: store.topic,
          acks: -1,
          messages: [...handled].map((key) => ({ key, value: encodeSeenAt(committedAt), partition })),
        });
      await txn.sendOffsets({
        consumerGroupId: groupId,
        topics: [{ topic, partitions: [{ partition, offset: (BigInt(last) + 1n).toString() }] }],
      });
      await txn.commit();
    } catch (error) {
      stats.aborted++;
      await txn.abort().catch(() => undefined);
      // A fenced or failed producer starts afresh (and fences again) at the next attempt.
      await drop(partition);
      throw error;
    }
    // Committed: only now are its keys seen, and its records done.
    for (const key of handled) deduplicator.add(key, committedAt);
    stats.processed += counts.processed;
    stats.duplicates += counts.duplicates;
    stats.invalidKeys += counts.invalidKeys;
    stats.transactions++;
    resolveOffset(last);
  };
  const eachBatch = (payload: EachBatchPayload & { readonly cluster?: string }): Promise<void> => {
    const p = payload.batch.partition;
    const turn = (turns.get(p) ?? Promise.resolve()).catch(() => undefined).then(() => runBatch(payload));
    turns.set(p, turn);
    return turn;
  };
  const follow = (consumer: Consumer) => consumer.on(consumer.events.GROUP_JOIN, rejoined);
  const result: DedupExactlyOnceHandler = Object.assign(eachBatch, {
    runConfig: { eachBatch, eachBatchAutoResolve: false as const, autoCommit: false as const },
    events,
    stats: (): ExactlyOnceStats => ({ ...stats }),
    follow,
    close: async () => {
      await Promise.all([...producers.keys()].map(drop));
    },
  });
  if (options.coPartitioning === false) return result;
  // The store does not follow the joins itself: its partitions are restored after their fence.
  const need = coPartitionedNeed(options.coPartitioning, undefined);
  return withAssignmentNeed(result, {
    ...need,
    follow: (consumer: Consumer, cluster: string) => {
      need.follow(consumer, cluster);
      follow(consumer);
    },
  });
}
