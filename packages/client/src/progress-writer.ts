import {
  defaultReplicationFactor,
  encodeProgress,
  ensureInternalTopic,
  PROGRESS_TOPIC,
  recordFingerprint,
} from '@mirrorkit/core';
import type { KafkaMessage, Producer } from 'kafkajs';
import type { ResolvedConfig } from './client-config.js';
import { MirrorKitClientError } from './client-error.js';
import { raceDeadline } from './deadline.js';

/** Options of {@link ProgressWriter}. */
export interface ProgressWriterOptions {
  /** The consumer group whose progress this is. */
  readonly groupId: string;
  /** The cluster the group reads now; progress goes to every other configured cluster. */
  readonly source: string;
  /** The least time between two writes to a cluster. Default 200 ms. */
  readonly intervalMs?: number;
  /** The progress topic on each DR cluster. Default `mirrorkit-progress.internal`. */
  readonly topic?: string;
  /** Called once when writing to a cluster starts failing (and again after it recovered). */
  readonly onError?: (error: MirrorKitClientError) => void;
}

/** The latest processed record of one partition; `version` counts the notes, so a send knows what is new. */
interface Slot {
  readonly topic: string;
  readonly partition: number;
  message: KafkaMessage;
  version: number;
}

/** One DR cluster: its producer, whether its topic exists, and which partitions it has not heard of. */
interface Destination {
  producer: Producer | null;
  topicReady: boolean;
  /** Per slot, the version last written (or being written) to this cluster. */
  readonly sent: Map<Slot, number>;
  sending: Promise<void> | null;
  failing: boolean;
  /** Failed writes in a row, and when the timer may try again (backoff for a cluster that is down). */
  failures: number;
  retryAtMs: number;
}

/**
 * Writes where a consumer group is, per partition, to each DR cluster's progress topic: the next
 * offset and the fingerprint of the last record processed. MM2's checkpoints trail by up to a
 * minute and by up to `offset.lag.max` records; a progress record trails by one interval, and its
 * fingerprint lets a failover find the exact record on the copy. Off the hot path: `processed`
 * only keeps a reference to the latest record per partition; fingerprints are taken and sent on
 * a timer, one send in flight per cluster, so a slow or dead DR cluster never holds the consumer
 * back (its partitions wait for the next round). The MirrorKit consumer runs one; a plain kafkajs
 * consumer can too.
 *
 * @example
 * ```ts
 * const progress = mirrorKit.progressWriter({ groupId: 'billing', source: 'us-east' });
 * progress.start();
 * await consumer.run({
 *   eachMessage: async ({ topic, partition, message }) => {
 *     await handle(message);
 *     progress.processed(topic, partition, message);
 *   },
 * });
 * ```
 */
export class ProgressWriter {
  readonly #config: ResolvedConfig;
  readonly #groupId: string;
  readonly #intervalMs: number;
  readonly #topic: string;
  readonly #onError: (error: MirrorKitClientError) => void;
  #source: string;
  // By topic, then partition: a note is two lookups and two stores, on the handler's path.
  readonly #slots = new Map<string, Slot[]>();
  readonly #all: Slot[] = [];
  readonly #destinations = new Map<string, Destination>();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  /** @internal Use `MirrorKit.progressWriter()`. */
  constructor(config: ResolvedConfig, options: ProgressWriterOptions) {
    config.requireAlias(options.source, 'source');
    this.#config = config;
    this.#groupId = options.groupId;
    this.#intervalMs = options.intervalMs ?? 200;
    this.#topic = options.topic ?? PROGRESS_TOPIC;
    this.#onError = options.onError ?? (() => undefined);
    this.#source = options.source;
    this.#resetDestinations();
  }

  /** The cluster whose positions this writes. */
  get source(): string {
    return this.#source;
  }

  /**
   * Notes that `message` of `topic[partition]` on `source` (default: the current source) was
   * processed. A note about another cluster than the current source is ignored: a handler that
   * finished after a failover must not describe the new cluster with the old one's offsets.
   */
  processed(topic: string, partition: number, message: KafkaMessage, source?: string): void {
    if (this.#closed || (source !== undefined && source !== this.#source)) return;
    let slots = this.#slots.get(topic);
    if (!slots) {
      slots = [];
      this.#slots.set(topic, slots);
    }
    const slot = slots[partition];
    if (slot) {
      slot.message = message;
      slot.version++;
      return;
    }
    const created: Slot = { topic, partition, message, version: 1 };
    slots[partition] = created;
    this.#all.push(created);
  }

  /** Writes on a timer from now on. */
  start(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => {
      const now = Date.now();
      for (const [alias, destination] of this.#destinations)
        if (now >= destination.retryAtMs) this.#send(alias).catch(() => undefined);
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /**
   * Writes every position not yet written to `alias` (default: every DR cluster), waiting for a
   * send in flight first; settles within `timeoutMs`, rejecting with CLIENT_SEND_TIMEOUT if the
   * cluster did not acknowledge by then. A failover calls it for its target before it plans.
   */
  async flush(alias?: string, timeoutMs = 2000): Promise<void> {
    const aliases = alias === undefined ? [...this.#destinations.keys()] : [alias];
    const work = (async () => {
      for (const a of aliases) {
        const destination = this.#destinations.get(a);
        if (!destination) continue;
        await destination.sending?.catch(() => undefined);
        await this.#send(a, true);
      }
    })();
    await raceDeadline(work, timeoutMs, () => {
      throw new MirrorKitClientError(
        'CLIENT_SEND_TIMEOUT',
        `writing the progress of ${this.#groupId} to ${aliases.join(', ')} timed out after ${timeoutMs} ms`,
      );
    });
  }

  /**
   * Starts describing `source`'s partitions (after a failover). What was noted for the old source
   * is dropped: its offsets mean nothing on the new one.
   */
  async switchSource(source: string): Promise<void> {
    this.#config.requireAlias(source, 'source');
    if (source === this.#source) return;
    const old = [...this.#destinations.values()];
    this.#source = source;
    this.#slots.clear();
    this.#all.length = 0;
    this.#resetDestinations();
    await Promise.all(old.map((d) => this.#disconnect(d)));
  }

  /** Stops the timer, writes what is pending (briefly), and disconnects. */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.#closed) return;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.flush(undefined, timeoutMs).catch(() => undefined);
    this.#closed = true;
    await Promise.all([...this.#destinations.values()].map((d) => this.#disconnect(d)));
  }

  #resetDestinations(): void {
    this.#destinations.clear();
    for (const alias of this.#config.aliases) {
      if (alias === this.#source) continue;
      this.#destinations.set(alias, {
        producer: null,
        topicReady: false,
        sent: new Map(),
        sending: null,
        failing: false,
        failures: 0,
        retryAtMs: 0,
      });
    }
  }

  async #disconnect(destination: Destination): Promise<void> {
    const producer = destination.producer;
    destination.producer = null;
    await destination.sending?.catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }

  /** One send to `alias` of what it has not heard; at most one in flight (a second call waits). */
  #send(alias: string, waitForCurrent = false): Promise<void> {
    const destination = this.#destinations.get(alias);
    if (!destination || this.#closed) return Promise.resolve();
    if (destination.sending) return waitForCurrent ? destination.sending : Promise.resolve();
    const items = this.#all
      .filter((slot) => (destination.sent.get(slot) ?? 0) < slot.version)
      .map((slot) => ({
        slot,
        message: slot.message,
        version: slot.version,
        before: destination.sent.get(slot) ?? 0,
      }));
    if (items.length === 0) return Promise.resolve();
    for (const item of items) destination.sent.set(item.slot, item.version);
    const sending = this.#write(alias, destination, items)
      .then(() => {
        destination.failing = false;
        destination.failures = 0;
        destination.retryAtMs = 0;
      })
      .catch((error: unknown) => {
        // Not written: those partitions go out again with a later round, with what is newest then.
        // A cluster that keeps failing (the old primary after a failover) is tried less and less
        // often, up to every 30 s, so it costs neither connections nor log lines every interval.
        for (const item of items)
          if (destination.sent.get(item.slot) === item.version) destination.sent.set(item.slot, item.before);
        destination.failures++;
        destination.retryAtMs = Date.now() + Math.min(30_000, this.#intervalMs * 2 ** destination.failures);
        if (!destination.failing) {
          destination.failing = true;
          this.#onError(
            new MirrorKitClientError(
              'CLIENT_CLUSTER_UNREACHABLE',
              `writing the progress of ${this.#groupId} to ${this.#topic} on ${alias} failed (retried with backoff up to 30 s; reported again only after it recovered): ${(error as Error).message}`,
              { cause: error },
            ),
          );
        }
        throw error;
      })
      .finally(() => {
        destination.sending = null;
      });
    destination.sending = sending;
    return sending;
  }

  async #write(
    alias: string,
    destination: Destination,
    items: readonly { readonly slot: Slot; readonly message: KafkaMessage }[],
  ): Promise<void> {
    const kafka = this.#config.kafka(alias);
    if (!destination.topicReady) {
      const admin = kafka.admin({ retry: { retries: 1, initialRetryTime: 100 } });
      await admin.connect();
      try {
        await ensureInternalTopic(admin, this.#topic, defaultReplicationFactor, { timeoutMs: 10_000 });
        destination.topicReady = true;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }
    if (!destination.producer) {
      // Few retries: a DR cluster that does not answer is tried again next round anyway, and a
      // long kafkajs retry would only delay the partitions' newer positions.
      const producer = kafka.producer({
        allowAutoTopicCreation: false,
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
      });
      await producer.connect();
      destination.producer = producer;
    }
    const writtenAtMs = BigInt(Date.now());
    const messages = [];
    for (const { slot, message } of items) {
      const { key: k, value } = encodeProgress({
        sourceCluster: this.#source,
        consumerGroupId: this.#groupId,
        topic: slot.topic,
        partition: slot.partition,
        nextOffset: BigInt(message.offset) + 1n,
        fingerprint: recordFingerprint(message),
        recordTimestamp: BigInt(message.timestamp),
        writtenAtMs,
      });
      messages.push({ key: k, value, partition: 0 });
    }
    if (messages.length === 0) return;
    await destination.producer.send({ topic: this.#topic, acks: -1, messages });
  }
}
