import { EventEmitter } from 'eventemitter3';
import type { Consumer } from 'kafkajs';
import type { Deduplicator } from '../dedup/deduplicator.js';
import { MirrorKitSeenKeyStoreError } from '../errors.js';
import type { SeenKeyRestore, SeenKeyStore } from './seen-key-store.js';

/** A store that restores into a seen-set when opened, as {@link KafkaSeenKeyStore}. */
export interface OpenableSeenKeyStore extends SeenKeyStore {
  open(deduplicator: Deduplicator): Promise<SeenKeyRestore>;
  close(): Promise<void>;
}

/** Events of {@link SeenKeyStores}. */
export interface SeenKeyStoresEvents {
  /** A cluster's store was opened and its keys restored into the seen-set. */
  opened: [info: SeenKeyRestore & { readonly cluster: string }];
}

/**
 * One seen-key store per cluster, for a consumer that moves between clusters (MirrorKit's, on a
 * failover or failback): each key is written to the store of the cluster its record was read
 * from (the `cluster` of MirrorKit's payloads), and a cluster's store is opened — its keys
 * restored into the seen-set — before {@link dedup} looks up the first record read there. So after
 * a failover the group's keys go to the DR cluster, not to the cluster that failed, and what the
 * group handled on the DR cluster before is recognised there.
 *
 * A record read from a cluster without a store here, or from no named cluster (a plain kafkajs
 * payload), fails before its handler runs (`SEEN_KEY_STORE_UNKNOWN_CLUSTER`). A store that fails
 * to open fails the records read there, before their handler, until it opens.
 *
 * @example
 * ```ts
 * const stores = new SeenKeyStores({
 *   'us-east': new KafkaSeenKeyStore(eastKafka, { topic: 'billing.mirrorkit-seen' }),
 *   'us-west': new KafkaSeenKeyStore(westKafka, { topic: 'billing.mirrorkit-seen' }),
 * });
 * await stores.open(seen, consumer.activeCluster);
 * await consumer.run({ eachMessage: dedup(handle, { deduplicator: seen, store: stores }) });
 * ```
 */
export class SeenKeyStores implements SeenKeyStore {
  readonly events = new EventEmitter<SeenKeyStoresEvents>();
  readonly #stores: ReadonlyMap<string, OpenableSeenKeyStore>;
  // A cluster's store being opened, then open; dropped when opening fails, so a later record tries again.
  readonly #opening = new Map<string, Promise<SeenKeyRestore>>();
  readonly #open = new Set<string>();

  /** `stores`: by cluster alias, as MirrorKit's consumer names the clusters. */
  constructor(stores: Readonly<Record<string, OpenableSeenKeyStore>>) {
    this.#stores = new Map(Object.entries(stores));
  }

  /**
   * Opens `cluster`'s store now (the consumer's active cluster, so the first record does not wait
   * for its restore, and a store that cannot open shows at start). The others open when a record
   * read from their cluster first comes.
   */
  open(deduplicator: Deduplicator, cluster: string): Promise<SeenKeyRestore> {
    return this.#openStore(cluster, deduplicator);
  }

  prepare(cluster: string | undefined, deduplicator: Deduplicator): Promise<void> | undefined {
    if (cluster !== undefined && this.#open.has(cluster)) return undefined;
    return this.#openStore(cluster, deduplicator).then(() => undefined);
  }

  /** Writes `key` to the store of `cluster` (opened by then: dedup readies it first). */
  remember(key: string, cluster?: string, partition?: number): Promise<void> {
    const store = cluster !== undefined && this.#open.has(cluster) ? this.#stores.get(cluster) : undefined;
    if (store === undefined) return Promise.reject(this.#refusal(cluster, 'SEEN_KEY_STORE_NOT_OPEN'));
    return store.remember(key, cluster, partition);
  }

  /** Readies `cluster`'s store for `partition`, when that store is partitioned like the data. */
  preparePartition(
    cluster: string | undefined,
    partition: number,
    deduplicator: Deduplicator,
  ): Promise<void> | undefined {
    const store = cluster === undefined ? undefined : this.#stores.get(cluster);
    if (store?.preparePartition === undefined) return undefined;
    // Partition readiness counts only once the cluster's store is open (prepare() runs first).
    if (cluster === undefined || !this.#open.has(cluster))
      return this.#openStore(cluster, deduplicator).then(() =>
        store.preparePartition?.(cluster, partition, deduplicator),
      );
    return store.preparePartition(cluster, partition, deduplicator);
  }

  /**
   * Follows the joins of a kafkajs consumer reading `cluster`, for that cluster's store (when it
   * follows joins: a {@link PartitionedSeenKeyStore}). MirrorKit's consumer calls this, through
   * the dedup handler, for the consumer of each cluster it moves to. Returns the unsubscribe.
   */
  follow(consumer: Consumer, cluster?: string): () => void {
    const store = cluster === undefined ? undefined : this.#stores.get(cluster);
    return store?.follow?.(consumer, cluster) ?? (() => undefined);
  }

  /** Closes every store opened. */
  async close(): Promise<void> {
    const opened = [...this.#opening.keys()];
    this.#opening.clear();
    this.#open.clear();
    await Promise.all(opened.map((cluster) => this.#stores.get(cluster)?.close()));
  }

  #openStore(cluster: string | undefined, deduplicator: Deduplicator): Promise<SeenKeyRestore> {
    const store = cluster === undefined ? undefined : this.#stores.get(cluster);
    if (cluster === undefined || store === undefined)
      return Promise.reject(this.#refusal(cluster, 'SEEN_KEY_STORE_UNKNOWN_CLUSTER'));
    let opening = this.#opening.get(cluster);
    if (opening === undefined) {
      const started = store.open(deduplicator).then(
        (restore) => {
          // Unless closed meanwhile.
          if (this.#opening.get(cluster) === started) this.#open.add(cluster);
          this.events.emit('opened', { cluster, ...restore });
          return restore;
        },
        (error: unknown) => {
          if (this.#opening.get(cluster) === started) this.#opening.delete(cluster);
          throw error;
        },
      );
      opening = started;
      this.#opening.set(cluster, opening);
    }
    return opening;
  }

  #refusal(cluster: string | undefined, code: 'SEEN_KEY_STORE_NOT_OPEN' | 'SEEN_KEY_STORE_UNKNOWN_CLUSTER') {
    const known = [...this.#stores.keys()].join(', ');
    if (cluster === undefined)
      return new MirrorKitSeenKeyStoreError(
        `the record names no cluster (a plain kafkajs payload?): SeenKeyStores (${known}) needs the cluster MirrorKit's consumer gives; with one cluster use one KafkaSeenKeyStore`,
        'SEEN_KEY_STORE_UNKNOWN_CLUSTER',
      );
    if (!this.#stores.has(cluster))
      return new MirrorKitSeenKeyStoreError(
        `no seen-key store for cluster ${cluster} (stores for: ${known})`,
        'SEEN_KEY_STORE_UNKNOWN_CLUSTER',
      );
    return new MirrorKitSeenKeyStoreError(`the seen-key store of ${cluster} is not open`, code);
  }
}
