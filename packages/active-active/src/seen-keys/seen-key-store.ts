import { createTopicsAndWait, readTopicToEnd } from '@mirrorkit/core';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Deduplicator } from '../dedup/deduplicator.js';
import { MirrorKitSeenKeyStoreError } from '../errors.js';
import { encodeSeenAt } from './seen-key-codec.js';
import { readStoreCopy, restoreSeenKeys } from './seen-key-restore.js';

/** Where a {@link dedup} handler persists processed keys. */
export interface SeenKeyStore {
  /**
   * Persists `key` as processed. `cluster` is the alias of the cluster the record was read from,
   * when its payload names one (MirrorKit's consumer does; a plain kafkajs one does not). A
   * rejection is retried by dedup (the record's offset waits), except a
   * {@link MirrorKitSeenKeyStoreError}. `partition`: the partition number of the record (dedup
   * always passes it; a store partitioned like the data writes the key there).
   */
  remember(key: string, cluster?: string, partition?: number): Promise<void>;
  /**
   * Optional: readies the store for records read from `cluster` before dedup looks the first of
   * them up, and again whenever the cluster changes (a failover). A store per cluster restores that
   * cluster's keys into `deduplicator` here. Undefined when there is nothing to wait for; a
   * rejection fails the record before its handler runs.
   */
  prepare?(cluster: string | undefined, deduplicator: Deduplicator): Promise<void> | undefined;
  /**
   * Optional: readies the store for a record of partition number `partition` (read from
   * `cluster`), called for every record before it is looked up: a store partitioned like the data
   * restores that partition's keys into `deduplicator` the first time (after each assignment).
   * Undefined when ready (keep that path cheap); a rejection fails the record before its handler.
   */
  preparePartition?(
    cluster: string | undefined,
    partition: number,
    deduplicator: Deduplicator,
  ): Promise<void> | undefined;
  /**
   * Optional: follows the joins of `consumer`, a kafkajs consumer reading `cluster` (MirrorKit's
   * consumer calls it, through the dedup handler, for each one it runs): a store partitioned like
   * the data restores what the member owns after each join. Returns the unsubscribe.
   */
  follow?(consumer: Consumer, cluster?: string): () => void;
}

/** Options of {@link KafkaSeenKeyStore}. */
export interface KafkaSeenKeyStoreOptions {
  /** The compacted topic, one per consumer group (e.g. `billing.mirrorkit-seen`). */
  topic: string;
  /**
   * How long keys matter; the topic deletes records older than this (with compaction). Use the
   * deduplicator's window. Default 7 days.
   */
  retentionMs?: number;
  /** Replication factor when the topic is created. Default: the broker's default. */
  replicationFactor?: number;
  /**
   * Copies of other clusters' stores on this cluster, whose keys are restored too and never
   * written: MM2 replicates us-east's `billing.mirrorkit-seen` to us-west as
   * `us-east.billing.mirrorkit-seen` (include it in the flow's `topics`), and us-west's store lists
   * that copy here. A group that fails over to us-west, and restarts there, then knows what it
   * handled on us-east — up to MM2's replication lag, as with the records themselves. A copy that
   * does not exist (yet) restores nothing. Default none.
   */
  copies?: readonly string[];
  /** Give up reading the topic at open after this long. Default 60 s. */
  openTimeoutMs?: number;
  /** The clock. Default `Date.now`. */
  now?: () => number;
}

/** What {@link KafkaSeenKeyStore.open} restored. */
export interface SeenKeyRestore {
  readonly restored: number;
  /** Records older than the window, or already known. */
  readonly ignored: number;
  /** Records that are not seen-key records (corrupt or foreign), skipped. */
  readonly corrupt: number;
}

/**
 * Persists the keys a consumer group has processed in a compacted Kafka topic (key = the dedup
 * key, value = when it was first processed), and restores them into a {@link Deduplicator} at
 * start, so a restarted or rebalanced consumer does not process again what it already handled.
 * Corrupt or foreign records in the topic are skipped and counted.
 *
 * @example
 * ```ts
 * const store = new KafkaSeenKeyStore(kafka, { topic: 'billing.mirrorkit-seen', retentionMs: windowMs });
 * await store.open(seen);
 * consumer.run({ eachMessage: dedup(handle, { deduplicator: seen, store }) });
 * ```
 */
export class KafkaSeenKeyStore implements SeenKeyStore {
  readonly #kafka: Kafka;
  readonly #options: KafkaSeenKeyStoreOptions;
  #producer: Producer | null = null;

  constructor(kafka: Kafka, options: KafkaSeenKeyStoreOptions) {
    this.#kafka = kafka;
    this.#options = options;
  }

  /** Creates the topic when absent, reads it to the end into `deduplicator`, connects the writer. */
  async open(deduplicator: Deduplicator): Promise<SeenKeyRestore> {
    const topic = this.#options.topic;
    const admin = this.#kafka.admin();
    await admin.connect();
    try {
      if (!(await admin.listTopics()).includes(topic)) {
        await createTopicsAndWait(admin, {
          topics: [
            {
              topic,
              numPartitions: 1,
              ...(this.#options.replicationFactor !== undefined
                ? { replicationFactor: this.#options.replicationFactor }
                : {}),
              configEntries: [
                { name: 'cleanup.policy', value: 'compact,delete' },
                { name: 'retention.ms', value: String(this.#options.retentionMs ?? 7 * 24 * 3600_000) },
              ],
            },
          ],
        });
      }
    } finally {
      await admin.disconnect();
    }
    const read = { timeoutMs: this.#options.openTimeoutMs ?? 60_000 };
    const [own, ...copies] = await Promise.all([
      readTopicToEnd(this.#kafka, topic, read),
      ...(this.#options.copies ?? []).map((copy) => readStoreCopy(this.#kafka, copy, read)),
    ]);
    const restore = restoreSeenKeys([...(own ?? []), ...copies.flat()], deduplicator);
    // Set only once connected: an open that fails leaves no half-made writer behind, and is retried.
    const producer = this.#kafka.producer({ idempotent: true });
    await producer.connect();
    this.#producer = producer;
    return restore;
  }

  /**
   * Persists `key` as processed now (acknowledged by all in-sync replicas before returning). One
   * cluster's store: a `cluster` argument is not looked at (see {@link SeenKeyStores} for one store
   * per cluster).
   */
  async remember(key: string): Promise<void> {
    if (!this.#producer)
      throw new MirrorKitSeenKeyStoreError(`open() the store for ${this.#options.topic} before use`);
    await this.#producer.send({
      topic: this.#options.topic,
      acks: -1,
      messages: [{ key, value: encodeSeenAt((this.#options.now ?? Date.now)()) }],
    });
  }

  async close(): Promise<void> {
    await this.#producer?.disconnect();
    this.#producer = null;
  }
}
