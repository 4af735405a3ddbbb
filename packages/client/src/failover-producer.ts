import { EventEmitter } from 'eventemitter3';
import type { Producer, ProducerConfig, ProducerRecord, RecordMetadata } from 'kafkajs';
import type { ResolvedConfig } from './client-config.js';
import { MirrorKitClientError } from './client-error.js';
import type { ProducerEvents } from './client-events.js';
import { raceDeadline } from './deadline.js';
import type { HealthMonitor } from './health-monitor.js';

/** Options of {@link MirrorKitProducer}. */
export interface MirrorKitProducerOptions {
  /**
   * The topic a record for logical topic `orders` goes to once the producer writes to a cluster
   * other than its home cluster:
   * - `logical` (default): `orders` on the new cluster, as in active-active, where each region's
   *   own `orders` is replicated to the others;
   * - `remote`: the home cluster's remote name there (`us-east.orders` on `us-west`), as MM2's
   *   active-passive guide does, so consumers of the replica see one continuous topic.
   */
  topicAfterFailover?: 'logical' | 'remote';
  /** Most records waiting while a failover runs; past it `send` rejects. Default 10,000. */
  maxQueued?: number;
  /** A waiting send rejects after this long. Default 30,000 ms. */
  sendTimeoutMs?: number;
  /** Fail over by itself when the active cluster turns unhealthy. Default false. */
  automaticFailover?: boolean | { target?: string };
  /** kafkajs producer settings; `idempotent` defaults to true. */
  kafkajs?: ProducerConfig;
}

interface Waiting {
  record: ProducerRecord;
  resolve: (metadata: RecordMetadata[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface LeavingSignal {
  readonly promise: Promise<{ left: string }>;
  resolve(value: { left: string }): void;
}

function leavingSignal(): LeavingSignal {
  let resolve: (value: { left: string }) => void = () => undefined;
  const promise = new Promise<{ left: string }>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * A kafkajs-shaped producer that sends to the active cluster and, during a failover, holds sends
 * in a bounded queue and delivers them to the new active cluster. A send that fails on a cluster
 * being failed away from is retried on the new one, so an application sees an error only when the
 * queue bound or the deadline is hit. Delivery is at-least-once: a send whose acknowledgement was
 * lost with the old cluster may exist twice (dedup by region-prefixed keys handles that).
 */
export class MirrorKitProducer extends EventEmitter<ProducerEvents> {
  readonly #config: ResolvedConfig;
  readonly #options: MirrorKitProducerOptions;
  readonly #monitor: HealthMonitor;
  readonly #homeCluster: string;
  #active: string;
  #inner: Producer | null = null;
  #queue: Waiting[] = [];
  #switching: Promise<void> | null = null;
  /** Settles when a failover away from the current active cluster begins. */
  #leaving = leavingSignal();
  #closed = false;

  /** @internal Use `MirrorKit.producer()`. */
  constructor(config: ResolvedConfig, monitor: HealthMonitor, options: MirrorKitProducerOptions = {}) {
    super();
    const auto = options.automaticFailover;
    if (typeof auto === 'object' && auto.target !== undefined)
      config.requireAlias(auto.target, 'automaticFailover.target');
    this.#config = config;
    this.#options = options;
    this.#monitor = monitor;
    this.#active = config.activeCluster;
    this.#homeCluster = config.activeCluster;
    monitor.on('unhealthy', (health) => {
      if (health.alias !== this.#active || !this.#options.automaticFailover || this.#closed) return;
      const preferred = typeof auto === 'object' ? auto.target : undefined;
      const target = (preferred ? [preferred] : config.aliases).find(
        (a) => a !== health.alias && !monitor.isUnhealthy(a),
      );
      if (target) {
        this.failover(target).catch((error: unknown) =>
          this.emit('error', error instanceof Error ? error : new Error(String(error))),
        );
      }
    });
  }

  /** The alias of the cluster sends go to now. */
  get activeCluster(): string {
    return this.#active;
  }

  /** Records waiting for a failover to finish. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Connects to the active cluster (and starts health probes for automatic failover). */
  async connect(): Promise<void> {
    this.#inner = await this.#connectTo(this.#active);
    if (this.#options.automaticFailover) this.#monitor.start();
  }

  async #connectTo(alias: string): Promise<Producer> {
    const producer = this.#config.kafka(alias).producer({ idempotent: true, ...this.#options.kafkajs });
    await producer.connect();
    return producer;
  }

  #topicOn(alias: string, topic: string): string {
    if (alias === this.#homeCluster || (this.#options.topicAfterFailover ?? 'logical') === 'logical')
      return topic;
    return this.#config.policy.formatRemoteTopic(this.#homeCluster, topic);
  }

  /** Sends to the active cluster; during a failover the send waits (bounded) and goes to the new one. */
  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (this.#closed) throw new MirrorKitClientError('CLIENT_CLOSED', 'the producer is disconnected');
    if (this.#switching || !this.#inner) return this.#enqueue(record);
    const alias = this.#active;
    const inner = this.#inner;
    try {
      const sent = inner.send({ ...record, topic: this.#topicOn(alias, record.topic) });
      // A send to a cluster that just died can sit in kafkajs's retries for many seconds. Once a
      // failover away from that cluster begins, it goes to the new one instead; should the old
      // attempt still succeed later, the record exists twice (at-least-once, as documented).
      // A planned failover away from a healthy cluster lets the send finish there instead.
      const outcome = await Promise.race([sent.then((metadata) => ({ metadata })), this.#leaving.promise]);
      if ('metadata' in outcome) return outcome.metadata;
      if (!this.#monitor.isUnhealthy(alias) && (await this.#monitor.probe(alias)).reachable)
        return await sent;
      sent.catch(() => undefined);
      return this.#enqueue(record);
    } catch (error) {
      // The cluster may have died under this send. If a failover is (or becomes) under way, the
      // record goes to the new cluster instead of failing the caller.
      if (this.#switching || alias !== this.#active) return this.#enqueue(record);
      if (this.#options.automaticFailover && (await this.#failingOver(alias))) return this.#enqueue(record);
      throw error;
    }
  }

  /**
   * After a failed send: true once a failover away from `alias` has begun, false as soon as a
   * fresh probe finds `alias` reachable (the failure was something else, and the caller sees it).
   */
  async #failingOver(alias: string): Promise<boolean> {
    const deadline = Date.now() + (this.#options.sendTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      if (this.#switching || alias !== this.#active) return true;
      const health = await this.#monitor.probe(alias);
      if (health.reachable) return false;
      if (this.#switching || alias !== this.#active) return true;
      await new Promise((resolveSleep) => setTimeout(resolveSleep, 100));
    }
    return false;
  }

  #enqueue(record: ProducerRecord): Promise<RecordMetadata[]> {
    const max = this.#options.maxQueued ?? 10_000;
    const count = record.messages.length;
    const waiting = this.#queue.reduce((sum, w) => sum + w.record.messages.length, 0);
    if (waiting + count > max) {
      return Promise.reject(
        new MirrorKitClientError(
          'CLIENT_SEND_QUEUE_FULL',
          `failover in progress and ${waiting} records already wait (limit ${max})`,
        ),
      );
    }
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      const timeoutMs = this.#options.sendTimeoutMs ?? 30_000;
      const entry: Waiting = {
        record,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#queue = this.#queue.filter((w) => w !== entry);
          reject(
            new MirrorKitClientError(
              'CLIENT_SEND_TIMEOUT',
              `send to ${record.topic} waited ${timeoutMs} ms for a failover to finish`,
            ),
          );
        }, timeoutMs),
      };
      this.#queue.push(entry);
      if (!this.#switching && this.#inner) void this.#flush();
    });
  }

  async #flush(): Promise<number> {
    let flushed = 0;
    while (this.#queue.length > 0 && this.#inner && !this.#switching) {
      const entry = this.#queue.shift() as Waiting;
      clearTimeout(entry.timer);
      try {
        entry.resolve(
          await this.#inner.send({ ...entry.record, topic: this.#topicOn(this.#active, entry.record.topic) }),
        );
        flushed += entry.record.messages.length;
      } catch (error) {
        entry.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return flushed;
  }

  /** Switches sends to `target`. Sends made meanwhile wait and are delivered there, in order. */
  async failover(target: string): Promise<void> {
    this.#config.requireAlias(target, 'target');
    if (this.#switching) return this.#switching;
    if (target === this.#active) return;
    const from = this.#active;
    const started = Date.now();
    this.#switching = (async () => {
      this.emit('failover:start', { from, to: target, queued: this.#queue.length });
      const leaving = this.#leaving;
      this.#leaving = leavingSignal();
      leaving.resolve({ left: from });
      const old = this.#inner;
      this.#inner = null;
      if (old) await raceDeadline(old.disconnect(), 3000, () => undefined).catch(() => undefined);
      this.#inner = await this.#connectTo(target);
      this.#active = target;
    })();
    try {
      await this.#switching;
    } finally {
      this.#switching = null;
    }
    const flushed = await this.#flush();
    this.emit('failover:complete', { from, to: target, durationMs: Date.now() - started, flushed });
  }

  /** Delivers what waits, then disconnects. */
  async disconnect(): Promise<void> {
    if (this.#switching) await this.#switching.catch(() => undefined);
    await this.#flush();
    this.#closed = true;
    for (const entry of this.#queue.splice(0)) {
      clearTimeout(entry.timer);
      entry.reject(
        new MirrorKitClientError('CLIENT_CLOSED', 'the producer was disconnected before this send'),
      );
    }
    await this.#inner?.disconnect();
    this.#inner = null;
    await this.#monitor.stop();
  }
}
