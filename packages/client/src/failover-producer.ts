import { EventEmitter } from 'eventemitter3';
import type { Producer, ProducerConfig, ProducerRecord, RecordMetadata } from 'kafkajs';
import { AutomaticFailover } from './automatic-failover.js';
import type { ResolvedConfig } from './client-config.js';
import { MirrorKitClientError } from './client-error.js';
import type { ProducerEvents } from './client-events.js';
import { firstLine, raceDeadline } from './deadline.js';
import type { HealthMonitor } from './health-monitor.js';
import { type Attempt, asError, attemptOn, type Outcome, PendingSend } from './pending-send.js';
import { producerSettings } from './producer-settings.js';
import {
  backoffDelay,
  type FailoverRetryOptions,
  type ResolvedFailoverRetry,
  resolveFailoverRetry,
} from './retry-backoff.js';

export type { FailoverRetryOptions } from './retry-backoff.js';

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
  /**
   * A send that waits (for a failover, or for the first connect) longer than this rejects with
   * CLIENT_SEND_TIMEOUT, which says whether any try of it may still write it. Default 30,000 ms.
   */
  sendTimeoutMs?: number;
  /** Fail over by itself when the active cluster turns unhealthy. Default false. */
  automaticFailover?: boolean | { target?: string };
  /**
   * The split-brain guard of automatic failover, on by default, with the consumer's rule: this
   * client's failed probes are not enough; MM2's heartbeats from the active cluster must also have
   * stopped arriving on the target for `silenceMs` (2000 ms). An instance cut off alone keeps
   * writing where the rest of the fleet reads: its sends wait (bounded by `sendTimeoutMs` and
   * `maxQueued`) and it emits `failover:held`. `false` fails over on the probes alone: a
   * partitioned instance then writes to the DR cluster while the others read at home.
   */
  splitBrainGuard?: boolean | { silenceMs?: number };
  /** How a failover retries while its target does not answer. */
  failoverRetry?: FailoverRetryOptions;
  /**
   * kafkajs producer settings. `idempotent` defaults to true, and an idempotent producer keeps one
   * request in flight: `maxInFlightRequests` other than 1 is refused with CLIENT_CONFIG_INVALID.
   */
  kafkajs?: ProducerConfig;
}

/** How far a producer's failover is; see {@link MirrorKitProducer.switching}. */
export interface ProducerSwitch {
  readonly from: string;
  readonly to: string;
  /** `connecting` until `to` accepts a connection, then `draining` until what waited is delivered. */
  readonly phase: 'connecting' | 'draining';
  /** Tries so far, counting connects and restarts of the delivery after `to` stopped answering. */
  readonly attempt: number;
}

/** How long a try in flight on a healthy cluster being left may take before the record goes elsewhere. */
const LEAVE_GRACE_MS = 3000;
/** Longest wait for a given-up producer's last answers before it is disconnected anyway. */
const RETIRE_WAIT_MS = 10_000;
/** setTimeout fires at once for delays beyond this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One generation of the producer's connection: every failover starts a new one, and the loops of
 * an older one (connect retries, delivery of the queue) stop once they see that it ended. Waiters
 * subscribe and unsubscribe, so a long-lived epoch does not collect a callback per send.
 */
class Epoch {
  #over = false;
  readonly #waiters = new Set<() => void>();

  get over(): boolean {
    return this.#over;
  }

  end(): void {
    if (this.#over) return;
    this.#over = true;
    for (const waiter of [...this.#waiters]) waiter();
    this.#waiters.clear();
  }

  /** Calls `waiter` once the epoch ends (at once if it has); returns the unsubscribe. */
  onEnd(waiter: () => void): () => void {
    if (this.#over) {
      waiter();
      return () => undefined;
    }
    this.#waiters.add(waiter);
    return () => this.#waiters.delete(waiter);
  }

  /** Waits `ms`, or less if the epoch ends first. */
  pause(ms: number): Promise<void> {
    if (this.#over) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(
        () => {
          stop();
          resolve();
        },
        Math.min(ms, MAX_TIMER_MS),
      );
      const stop = this.onEnd(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

interface Switch {
  readonly from: string;
  readonly to: string;
  readonly epoch: Epoch;
  readonly startedAt: number;
  phase: 'connecting' | 'draining';
  attempt: number;
  /** Set when a later failover (or disconnect) replaced this one, so its rejection is no news. */
  replaced: boolean;
  readonly done: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * A kafkajs-shaped producer that sends to the active cluster and, during a failover, holds sends
 * in a bounded queue and delivers them to the new active cluster.
 *
 * Per-key order holds across a failover: every send keeps its place in the order of the `send`
 * calls. Sends still in flight on the cluster being left come first, then those that waited; the
 * queue goes out one send at a time, each acknowledged before the next, and sends made meanwhile
 * join its end, so nothing overtakes what waited. Only an empty queue lets sends go straight out
 * again.
 *
 * A switch whose target does not answer is retried with backoff (`failover:failed`,
 * `failover:retry`) for as long as it takes or until another failover replaces it; what waits is
 * never dropped, and a send that waits longer than `sendTimeoutMs` rejects with
 * CLIENT_SEND_TIMEOUT. A send that fails on a cluster being failed away from is retried on the
 * new one, so an application sees an error only when the queue bound or the deadline is hit.
 * Delivery is at-least-once: a send whose acknowledgement was lost with the old cluster may exist
 * on both (dedup by region-prefixed keys handles that).
 */
export class MirrorKitProducer extends EventEmitter<ProducerEvents> {
  readonly #config: ResolvedConfig;
  readonly #options: MirrorKitProducerOptions;
  readonly #monitor: HealthMonitor;
  readonly #homeCluster: string;
  readonly #settings: ProducerConfig;
  readonly #retry: ResolvedFailoverRetry;
  readonly #sendTimeoutMs: number;
  readonly #maxQueued: number;
  #active: string;
  #phase: 'idle' | 'connecting' | 'draining' | 'open' | 'closed' = 'idle';
  /** The kafkajs producer of `#active`, once connected. */
  #inner: Producer | null = null;
  /** Sends that went straight to `#active` and have no answer yet, in send order. */
  #inflight: PendingSend[] = [];
  /** Sends waiting for a cluster, in send order. */
  #queue: PendingSend[] = [];
  #switch: Switch | null = null;
  #epoch = new Epoch();
  #closing = false;
  #disconnecting: Promise<void> | null = null;
  readonly #closed = new Epoch();
  /** Disconnects of kafkajs producers left behind, which `disconnect()` waits for. */
  readonly #retiring = new Set<Promise<void>>();

  /** @internal Use `MirrorKit.producer()`. */
  constructor(config: ResolvedConfig, monitor: HealthMonitor, options: MirrorKitProducerOptions = {}) {
    super();
    this.#settings = producerSettings(options.kafkajs);
    this.#retry = resolveFailoverRetry(options.failoverRetry);
    this.#config = config;
    this.#options = options;
    this.#monitor = monitor;
    this.#sendTimeoutMs = options.sendTimeoutMs ?? 30_000;
    this.#maxQueued = options.maxQueued ?? 10_000;
    this.#active = config.activeCluster;
    this.#homeCluster = config.activeCluster;
    new AutomaticFailover(config, monitor, options, {
      active: () => this.#active,
      ready: () => !this.#closing,
      // Not awaited to the end: a target that dies during the switch is itself failed away from.
      switchTo: async (target) => {
        const started = this.#failoverTo(target);
        started?.done.catch((error: unknown) => {
          if (!started.replaced) this.#tell('error', asError(error));
        });
      },
      held: (info) => this.#tell('failover:held', info),
      error: (error) => this.#tell('error', error),
    }).attach();
  }

  /**
   * The cluster sends go to. From the moment a failover begins it names the failover's target:
   * sends made since wait for it, even while it does not answer yet (see {@link switching}).
   */
  get activeCluster(): string {
    return this.#active;
  }

  /** The failover under way, or null once sends go straight to {@link activeCluster}. */
  get switching(): ProducerSwitch | null {
    const s = this.#switch;
    return s ? { from: s.from, to: s.to, phase: s.phase, attempt: s.attempt } : null;
  }

  /** Sends waiting for a failover (or the first connect) to deliver them. */
  get queued(): number {
    let waiting = 0;
    for (const send of this.#queue) if (!send.settled) waiting++;
    return waiting;
  }

  /** Connects to the active cluster (and starts health probes for automatic failover). */
  async connect(): Promise<void> {
    if (this.#closing) throw new MirrorKitClientError('CLIENT_CLOSED', 'the producer is disconnected');
    if (this.#phase !== 'idle') return;
    const epoch = this.#nextEpoch();
    const alias = this.#active;
    this.#phase = 'connecting';
    const producer = this.#config.kafka(alias).producer(this.#settings);
    try {
      await producer.connect();
    } catch (error) {
      this.#retire(producer, []);
      if (this.#epoch === epoch) this.#phase = 'idle';
      throw error;
    }
    if (this.#options.automaticFailover && !this.#closing) this.#monitor.start();
    // A failover begun while this connect ran owns the producer's state now.
    if (this.#epoch !== epoch) {
      this.#retire(producer, []);
      return;
    }
    this.#inner = producer;
    this.#phase = 'draining';
    this.#background(this.#drain(epoch, producer, alias, null));
  }

  #topicOn(alias: string, topic: string): string {
    if (alias === this.#homeCluster || (this.#options.topicAfterFailover ?? 'logical') === 'logical')
      return topic;
    return this.#config.policy.formatRemoteTopic(this.#homeCluster, topic);
  }

  /** Sends to the active cluster; during a failover the send waits (bounded) and goes to the new one. */
  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (this.#closing) throw new MirrorKitClientError('CLIENT_CLOSED', 'the producer is disconnected');
    const send = new PendingSend(record);
    if (this.#phase === 'open' && this.#inner) {
      this.#inflight.push(send);
      this.#background(this.#settleDirect(send, this.#attempt(send, this.#active, this.#inner)));
    } else {
      this.#enqueue(send);
    }
    return send.answer;
  }

  #attempt(send: PendingSend, alias: string, inner: Producer): Attempt {
    send.attempt = attemptOn(alias, inner, {
      ...send.record,
      topic: this.#topicOn(alias, send.record.topic),
    });
    send.verdict = null;
    return send.attempt;
  }

  /** Answers a send that went straight out, unless a failover took it over meanwhile. */
  async #settleDirect(send: PendingSend, attempt: Attempt): Promise<void> {
    const outcome = await attempt.outcome;
    if (send.queued) return;
    if ('metadata' in outcome) {
      this.#forget(send);
      send.succeed(outcome.metadata);
      return;
    }
    // The cluster may have died under this send: if a failover away from it begins, the send
    // keeps its place and goes to the new cluster instead of failing the caller.
    if (this.#options.automaticFailover && (await this.#failoverBegins(send, attempt.cluster))) return;
    if (send.queued) return;
    this.#forget(send);
    send.fail(outcome.error);
  }

  /**
   * After a failed send: true once a failover took `send` over, false as soon as a fresh probe
   * finds `alias` reachable (the failure was something else, and the caller sees it).
   */
  async #failoverBegins(send: PendingSend, alias: string): Promise<boolean> {
    const deadline = Date.now() + this.#sendTimeoutMs;
    while (Date.now() < deadline && !this.#closing) {
      if (send.queued) return true;
      const health = await this.#monitor.probe(alias);
      if (send.queued) return true;
      if (health.reachable) return false;
      await this.#closed.pause(100);
    }
    return send.queued;
  }

  #forget(send: PendingSend): void {
    const index = this.#inflight.indexOf(send);
    if (index >= 0) this.#inflight.splice(index, 1);
  }

  #enqueue(send: PendingSend): void {
    let waiting = 0;
    for (const s of this.#queue) if (!s.settled) waiting += s.messages;
    if (waiting + send.messages > this.#maxQueued) {
      const why = this.#phase === 'idle' ? 'the producer is not connected' : 'failover in progress';
      throw new MirrorKitClientError(
        'CLIENT_SEND_QUEUE_FULL',
        `${why} and ${waiting} records already wait (limit ${this.#maxQueued})`,
      );
    }
    this.#queue.push(send);
    this.#wait(send, Date.now() + this.#sendTimeoutMs);
  }

  /** Starts (or resumes) a send's wait in the queue, which ends in CLIENT_SEND_TIMEOUT at `deadline`. */
  #wait(send: PendingSend, deadline: number): void {
    if (send.settled) return;
    send.clearTimer();
    send.deadline = deadline;
    send.timer = setTimeout(
      () => {
        send.timer = null;
        if (send.settled) return;
        this.#queue = this.#queue.filter((s) => s !== send);
        send.fail(new MirrorKitClientError('CLIENT_SEND_TIMEOUT', this.#timedOut(send)));
      },
      Math.min(Math.max(0, deadline - Date.now()), MAX_TIMER_MS),
    );
  }

  #timedOut(send: PendingSend): string {
    const what = this.#switch
      ? `for the failover to ${this.#active} to finish`
      : this.#phase === 'idle' || this.#phase === 'connecting'
        ? `for the producer to connect to ${this.#active}`
        : `behind earlier sends to ${this.#active}`;
    const attempt = send.attempt;
    const tried = !attempt
      ? 'it was never sent'
      : attempt.result && 'error' in attempt.result
        ? `its last try, on ${attempt.cluster}, failed: ${firstLine(attempt.result.error)}`
        : `its try on ${attempt.cluster} had no answer and may still write it`;
    const waited = `it waited ${this.#sendTimeoutMs} ms ${what}`;
    return `send to ${send.record.topic} was not acknowledged: ${waited}, and ${tried}`;
  }

  #nextEpoch(): Epoch {
    this.#epoch.end();
    this.#epoch = new Epoch();
    return this.#epoch;
  }

  /**
   * Delivers the queue to `alias` one send at a time, each acknowledged before the next goes out,
   * then lets sends go straight out. Sends made meanwhile join the end of the queue. Stops as soon
   * as `epoch` ends: the failover that ended it took the queue over, including any send whose try
   * here is still in flight.
   */
  async #drain(epoch: Epoch, inner: Producer, alias: string, sw: Switch | null): Promise<void> {
    let flushed = 0;
    let tries = 1;
    for (;;) {
      if (this.#epoch !== epoch) return;
      const send = this.#queue[0];
      if (send === undefined) break;
      if (send.settled) {
        this.#queue.shift();
        continue;
      }
      if (send.attempt) {
        // A try made before: it may have written the record after all (a planned failover lets a
        // healthy cluster answer), and then the record is not written twice.
        const written = await (send.verdict ?? this.#verdictOn(send.attempt));
        if (this.#epoch !== epoch) return;
        if (send.settled) continue;
        if (written) {
          this.#remove(send);
          send.succeed(written);
          continue;
        }
      }
      send.clearTimer();
      const attempt = this.#attempt(send, alias, inner);
      const outcome = await this.#outcomeBefore(send, attempt, epoch);
      if (outcome === null) return;
      if ('metadata' in outcome) {
        this.#remove(send);
        if (!send.settled) flushed += send.messages;
        send.succeed(outcome.metadata);
        continue;
      }
      const health = await this.#monitor.probe(alias);
      if (this.#epoch !== epoch) return;
      if (health.reachable) {
        // The cluster answers, so the failure is this record's own (too large, no such topic, not
        // authorized): its caller sees it, as with a plain kafkajs producer, and the rest go on.
        this.#remove(send);
        send.fail(outcome.error);
        continue;
      }
      // `alias` stopped answering: the send keeps its place at the head and waits again.
      this.#wait(send, send.deadline);
      if (!(await this.#retryLater(sw, outcome.error, epoch, tries))) return;
      tries++;
      if (sw) sw.attempt++;
    }
    this.#phase = 'open';
    if (sw) {
      this.#switch = null;
      this.#tell('failover:complete', {
        from: sw.from,
        to: sw.to,
        durationMs: Date.now() - sw.startedAt,
        flushed,
      });
      sw.resolve();
    }
  }

  /**
   * The outcome of a try made by the queue's delivery, or null once `epoch` ends. A try still
   * unanswered at the send's deadline rejects the caller with CLIENT_SEND_TIMEOUT, and the delivery
   * still waits for it: the next send must not overtake a record that may yet be written.
   */
  #outcomeBefore(send: PendingSend, attempt: Attempt, epoch: Epoch): Promise<Outcome | null> {
    if (epoch.over) return Promise.resolve(null);
    return new Promise<Outcome | null>((resolve) => {
      const finish = (outcome: Outcome | null): void => {
        clearTimeout(timer);
        stop();
        resolve(outcome);
      };
      const timer = setTimeout(
        () =>
          send.fail(
            new MirrorKitClientError(
              'CLIENT_SEND_TIMEOUT',
              `send to ${send.record.topic} was not acknowledged within ${this.#sendTimeoutMs} ms: its ` +
                `try on ${attempt.cluster} had no answer yet and may still write it`,
            ),
          ),
        Math.min(Math.max(0, send.deadline - Date.now()), MAX_TIMER_MS),
      );
      const stop = epoch.onEnd(() => finish(null));
      void attempt.outcome.then(finish);
    });
  }

  #remove(send: PendingSend): void {
    if (this.#queue[0] === send) this.#queue.shift();
    else this.#queue = this.#queue.filter((s) => s !== send);
  }

  /**
   * Whether a try still in flight when a failover began wrote the record (its metadata) or is given
   * up (null, and the record goes to the new cluster): a cluster known dead gets no wait, one that
   * answers a probe gets LEAVE_GRACE_MS, as a planned failover away from a healthy cluster should.
   */
  async #verdictOn(attempt: Attempt): Promise<RecordMetadata[] | null> {
    const written = (outcome: Outcome): RecordMetadata[] | null =>
      'metadata' in outcome ? outcome.metadata : null;
    if (attempt.result) return written(attempt.result);
    if (this.#monitor.isUnhealthy(attempt.cluster)) return null;
    const first = await Promise.race([attempt.outcome, this.#monitor.probe(attempt.cluster)]);
    if (!('alias' in first)) return written(first);
    if (!first.reachable) return attempt.result ? written(attempt.result) : null;
    const late = await raceDeadline(attempt.outcome, LEAVE_GRACE_MS, () => null);
    return late ? written(late) : null;
  }

  /** Reports a failed try and waits before the next; false when the epoch ended meanwhile. */
  async #retryLater(sw: Switch | null, error: Error, epoch: Epoch, tries: number): Promise<boolean> {
    const attempt = sw ? sw.attempt : tries;
    const delayMs = backoffDelay(attempt, this.#retry);
    if (sw) {
      this.#tell('failover:failed', { from: sw.from, to: sw.to, error, attempt });
      this.#tell('failover:retry', { from: sw.from, to: sw.to, attempt: attempt + 1, delayMs });
    } else {
      this.#tell('error', error);
    }
    await epoch.pause(delayMs);
    return this.#epoch === epoch;
  }

  /**
   * Switches sends to `target`. Sends made meanwhile wait and are delivered there, in order. It
   * settles once they are: while `target` does not answer, the switch is retried (see
   * `failover:failed` and `failover:retry`), and it rejects with CLIENT_FAILOVER_FAILED only if
   * another failover replaces it first, or with CLIENT_CLOSED on `disconnect()`.
   */
  async failover(target: string): Promise<void> {
    this.#config.requireAlias(target, 'target');
    if (this.#closing) throw new MirrorKitClientError('CLIENT_CLOSED', 'the producer is disconnected');
    const started = this.#failoverTo(target);
    if (started) await started.done;
  }

  /** The failover to `target`: the one under way, a new one, or none if sends already go there. */
  #failoverTo(target: string): Switch | null {
    const current = this.#switch;
    if (current && current.to === target) return current;
    if (!current && target === this.#active) return null;
    return this.#beginSwitch(target);
  }

  #beginSwitch(to: string): Switch {
    const from = this.#active;
    const previous = this.#switch;
    const epoch = this.#nextEpoch();
    const startedAt = Date.now();
    const old = this.#inner;
    this.#inner = null;
    // Sends in flight on `from` were made before everything that waits, so they go first.
    const takenOver = this.#inflight.splice(0);
    for (const send of takenOver) {
      send.queued = true;
      this.#wait(send, startedAt + this.#sendTimeoutMs);
    }
    this.#queue = [...takenOver, ...this.#queue.filter((s) => !s.settled)];
    // Verdicts on tries still in flight start now, while `to` is connected to; `from` stays
    // connected until they are in, so a healthy cluster can still answer.
    const verdicts: Promise<unknown>[] = [];
    for (const send of this.#queue) {
      if (send.timer === null) this.#wait(send, send.deadline);
      if (send.attempt && !send.attempt.result && !send.verdict) {
        send.verdict = this.#verdictOn(send.attempt);
        verdicts.push(send.verdict);
      }
    }
    if (old) this.#retire(old, verdicts);

    let resolve: () => void = () => undefined;
    let reject: (error: Error) => void = () => undefined;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Whoever asked for the failover sees a rejection; nobody asking must not crash the process.
    done.catch(() => undefined);
    const sw: Switch = {
      from,
      to,
      epoch,
      startedAt,
      phase: 'connecting',
      attempt: 0,
      replaced: false,
      done,
      resolve,
      reject,
    };
    this.#switch = sw;
    this.#active = to;
    this.#phase = 'connecting';
    if (previous) {
      previous.replaced = true;
      previous.reject(
        new MirrorKitClientError(
          'CLIENT_FAILOVER_FAILED',
          `the failover to ${previous.to} was replaced by one to ${to} before it finished`,
        ),
      );
    }
    this.#tell('failover:start', { from, to, queued: this.queued });
    this.#background(this.#connectSwitch(sw));
    return sw;
  }

  /** Connects to the switch's target, retrying with backoff, then delivers the queue there. */
  async #connectSwitch(sw: Switch): Promise<void> {
    const { epoch, to } = sw;
    const timeoutMs = this.#retry.attemptTimeoutMs;
    while (this.#epoch === epoch) {
      sw.attempt++;
      const producer = this.#config.kafka(to).producer(this.#settings);
      const connecting = producer.connect();
      const failure = await raceDeadline(
        connecting.then(
          () => null,
          (error: unknown) => asError(error),
        ),
        timeoutMs,
        () =>
          new MirrorKitClientError(
            'CLIENT_CLUSTER_UNREACHABLE',
            `connecting to ${to} took over ${timeoutMs} ms`,
          ),
      );
      if (failure === null && this.#epoch === epoch) {
        this.#inner = producer;
        this.#phase = 'draining';
        sw.phase = 'draining';
        await this.#drain(epoch, producer, to, sw);
        return;
      }
      // A connect given up on may still succeed later; what it opens is closed once it settles.
      this.#retire(producer, [connecting]);
      if (failure === null || !(await this.#retryLater(sw, failure, epoch, sw.attempt))) return;
    }
  }

  /** Disconnects a kafkajs producer left behind once `waitFor` settled (bounded). */
  #retire(producer: Producer, waitFor: readonly Promise<unknown>[]): void {
    const retired = (async () => {
      let unsubscribe: () => void = () => undefined;
      const closed = new Promise<void>((resolve) => {
        unsubscribe = this.#closed.onEnd(resolve);
      });
      await raceDeadline(
        Promise.race([Promise.allSettled(waitFor), closed]),
        RETIRE_WAIT_MS,
        () => undefined,
      );
      unsubscribe();
      await raceDeadline(producer.disconnect(), 3000, () => undefined).catch(() => undefined);
    })();
    this.#retiring.add(retired);
    void retired.finally(() => this.#retiring.delete(retired));
  }

  /** Runs one of the producer's own loops; a fault in it is reported, never an unhandled rejection. */
  #background(work: Promise<void>): void {
    work.catch((error: unknown) => this.#tell('error', asError(error)));
  }

  /**
   * Emits, but a listener's exception is reported as `error` instead of breaking the loop that
   * emitted (a failover stopped half-way would leave sends waiting for nothing).
   */
  #tell<T extends keyof ProducerEvents>(event: T, ...args: EventEmitter.EventArgs<ProducerEvents, T>): void {
    try {
      this.emit(event, ...args);
    } catch (error) {
      if (event !== 'error') this.#tell('error', asError(error));
    }
  }

  /**
   * Delivers what waits (each send within its deadline), then disconnects. Sends still without an
   * answer then reject with CLIENT_CLOSED, and a failover under way with it.
   */
  disconnect(): Promise<void> {
    this.#disconnecting ??= this.#disconnect();
    return this.#disconnecting;
  }

  async #disconnect(): Promise<void> {
    this.#closing = true;
    // Never connected, nothing can deliver what waits; otherwise it is given its time.
    if (this.#phase !== 'idle') {
      const answered = [...this.#inflight, ...this.#queue].map((s) => s.answered);
      await raceDeadline(Promise.all(answered), Math.min(this.#sendTimeoutMs, MAX_TIMER_MS), () => undefined);
    }
    this.#nextEpoch();
    this.#closed.end();
    this.#phase = 'closed';
    const switching = this.#switch;
    this.#switch = null;
    if (switching) {
      switching.replaced = true;
      switching.reject(
        new MirrorKitClientError(
          'CLIENT_CLOSED',
          `the producer was disconnected before the failover to ${switching.to} finished`,
        ),
      );
    }
    for (const send of [...this.#inflight.splice(0), ...this.#queue.splice(0)]) {
      const pending = send.attempt !== null && send.attempt.result === null;
      send.fail(
        new MirrorKitClientError(
          'CLIENT_CLOSED',
          `the producer was disconnected before this send was acknowledged${
            pending ? `; its try on ${send.attempt?.cluster} may still write it` : ''
          }`,
        ),
      );
    }
    const inner = this.#inner;
    this.#inner = null;
    try {
      await inner?.disconnect();
    } finally {
      await Promise.all([...this.#retiring]);
      await this.#monitor.stop();
    }
  }
}
