import {
  commitGroupOffsets,
  type FailoverPlan,
  type FailoverPosition,
  fetchCommittedOffsets,
  type GroupCheckpoint,
  GroupOffsetsError,
  groupAssignmentNeedOf,
  type PartitionBounds,
  type PartitionOffset,
  type ProgressRecord,
  planFailover,
  readCheckpoints,
  readOffsetSyncs,
  readProgressRecords,
  refineByFingerprint,
  remoteTopicPattern,
  UndecodablePartitionHold,
} from '@mirrorkit/core';
import { EventEmitter } from 'eventemitter3';
import type { Consumer, ConsumerConfig, EachBatchPayload, EachMessagePayload, Kafka } from 'kafkajs';
import { AutomaticFailover } from './automatic-failover.js';
import type { ResolvedConfig } from './client-config.js';
import { MirrorKitClientError } from './client-error.js';
import type { ConsumerEvents, FailoverReport } from './client-events.js';
import { raceDeadline } from './deadline.js';
import type { HealthMonitor } from './health-monitor.js';
import { type MessageOrigin, messageOrigin } from './message-origin.js';
import { ProgressWriter } from './progress-writer.js';

/** Options of {@link MirrorKitConsumer}. */
export interface MirrorKitConsumerOptions {
  /** The consumer group, the same on every cluster. */
  groupId: string;
  /**
   * What a failover does for a partition of a remote topic that no checkpoint covers:
   * `earliest` (default) replays it from its first record, so nothing is skipped; `latest`
   * starts at its end, skipping what it holds, for consumers that only want new records.
   */
  noCheckpoint?: 'earliest' | 'latest';
  /** How often topic metadata is re-read to find new remote topics. Default 5000 ms. */
  metadataRefreshMs?: number;
  /**
   * Fail over by itself when the active cluster turns unhealthy (and, with the split-brain guard
   * on, MM2's heartbeats agree). Default false.
   */
  automaticFailover?: boolean | { target?: string };
  /**
   * The split-brain guard of automatic failover; on by default. This client's failed probes alone
   * do not move the group: MM2's heartbeats from the active cluster must also have stopped
   * arriving on the target for `silenceMs` (default 2000 ms, twice MM2's default heartbeat
   * interval; keep it at least twice `emit.heartbeats.interval.seconds`). While they still arrive,
   * this client is the one cut off: it stays, emits `failover:held` and keeps probing, and fails
   * over once the heartbeats go silent while the active cluster is still down. When no heartbeat
   * from the active cluster was ever seen on the target, it holds (`no-heartbeats`): it cannot tell.
   *
   * `false` turns it off: automatic failover then acts on this client's probes alone, so an
   * instance cut off from a live primary moves its group to the DR cluster while the rest of the
   * fleet stays (both sides process the records; the group's offsets on the DR cluster are
   * overwritten if no member holds them there). Turn it off only where something else makes
   * sure every instance sees the same outage, or to accept that risk where MM2 replicates no
   * heartbeats.
   */
  splitBrainGuard?: boolean | { silenceMs?: number };
  /** The longest a failover waits for the old cluster's consumer to stop. Default 3000 ms. */
  stopTimeoutMs?: number;
  /** The longest a topic listing may take before it counts as failed. Default 5000 ms. */
  metadataTimeoutMs?: number;
  /** The longest a failover spends reading checkpoints. Default 15000 ms. */
  checkpointTimeoutMs?: number;
  /** kafkajs consumer settings (sessionTimeout, maxBytes, …) applied on every cluster. */
  kafkajs?: Omit<ConsumerConfig, 'groupId'>;
  /**
   * Progress records: where the group is on each partition, with the fingerprint of the last record
   * it processed, written every `intervalMs` (default 200) to each DR cluster's `topic` (default
   * `mirrorkit-progress.internal`, created compacted on first use). A failover reads them on its
   * target and resumes right after that record on the copy instead of at MM2's checkpoint, which
   * trails by up to `emit.checkpoints.interval.seconds` and `offset.lag.max` records; before it
   * plans, the failing-over instance writes its own final positions there. On by default;
   * `false` turns it off (the group needs Create and Write on the topic of every DR cluster).
   */
  progress?: false | { intervalMs?: number; topic?: string; searchLimit?: number };
}

/** What to consume: logical topic names, and whether their remote copies come too. */
export interface MirrorKitSubscription {
  /** Logical topic names, e.g. `['orders']`. */
  topics: readonly string[];
  /** Also consume every remote copy (`us-east.orders`, …) on the active cluster. Default true. */
  remote?: boolean;
  /** Only remote copies from these source aliases. Default: any alias. */
  sourceAliases?: readonly string[];
  /** Start partitions with no committed offset at their beginning. Default false. */
  fromBeginning?: boolean;
  /** Where topics discovered while running start (when the group has no offset). Default `earliest`. */
  newTopicsFrom?: 'earliest' | 'latest';
}

/** kafkajs's eachMessage payload plus where the record came from. */
export type MirrorKitEachMessagePayload = EachMessagePayload & {
  /** The alias of the cluster it was read from. */
  readonly cluster: string;
  readonly origin: MessageOrigin;
};

/** kafkajs's eachBatch payload plus where the batch came from. */
export type MirrorKitEachBatchPayload = EachBatchPayload & {
  readonly cluster: string;
  readonly origin: MessageOrigin;
};

/** What to run for each record or batch; the kafkajs `run` options otherwise. */
export interface MirrorKitRunConfig {
  eachMessage?: (payload: MirrorKitEachMessagePayload) => Promise<void>;
  eachBatch?: (payload: MirrorKitEachBatchPayload) => Promise<void>;
  partitionsConsumedConcurrently?: number;
  autoCommit?: boolean;
  autoCommitInterval?: number | null;
  autoCommitThreshold?: number | null;
  eachBatchAutoResolve?: boolean;
}

/**
 * A kafkajs-shaped consumer that reads a logical topic and all its remote copies on the active
 * cluster, and can move the group to another cluster through MirrorMaker 2's checkpoints without
 * skipping a record. Create it with `MirrorKit.consumer()`.
 *
 * @example
 * ```ts
 * const consumer = mirrorKit.consumer({ groupId: 'billing', automaticFailover: true });
 * await consumer.subscribe({ topics: ['orders'] });
 * await consumer.run({ eachMessage: async ({ message, origin }) => handle(origin.cluster, message) });
 * consumer.on('failover:complete', (report) => log(report));
 * ```
 */
export class MirrorKitConsumer extends EventEmitter<ConsumerEvents> {
  readonly #config: ResolvedConfig;
  readonly #options: MirrorKitConsumerOptions;
  readonly #monitor: HealthMonitor;
  readonly #homeCluster: string;
  #active: string;
  #inner: Consumer | null = null;
  #innerTopics = new Set<string>();
  #subscription: MirrorKitSubscription | null = null;
  #run: MirrorKitRunConfig | null = null;
  #epoch = 0;
  #lock: Promise<unknown> = Promise.resolve();
  #watcher: NodeJS.Timeout | null = null;
  #closed = false;
  #failingOver = false;
  /** Failed switches in a row, for the retry's backoff; and the pending retry. */
  #switchAttempts = 0;
  #retryTimer: NodeJS.Timeout | null = null;
  // A batch that does not decode holds its partition (reported as an 'error'), not the consumer.
  readonly #hold = new UndecodablePartitionHold({ onHeld: (error) => this.emit('error', error) });
  readonly #progress: ProgressWriter | null;
  /** Handlers running now, and who waits for them to finish. */
  #handling = 0;
  #idleWaiters: (() => void)[] = [];

  /** @internal Use `MirrorKit.consumer()`. */
  constructor(config: ResolvedConfig, monitor: HealthMonitor, options: MirrorKitConsumerOptions) {
    super();
    if (typeof options?.groupId !== 'string' || options.groupId.length === 0) {
      throw new MirrorKitClientError('CLIENT_CONFIG_INVALID', 'groupId: a consumer needs a group id', {
        field: 'groupId',
      });
    }
    this.#config = config;
    this.#options = options;
    this.#monitor = monitor;
    this.#active = config.activeCluster;
    this.#homeCluster = config.activeCluster;
    const progress = options.progress === false ? null : (options.progress ?? {});
    this.#progress =
      progress === null || config.aliases.length < 2
        ? null
        : new ProgressWriter(config, {
            groupId: options.groupId,
            source: this.#active,
            ...(progress.intervalMs === undefined ? {} : { intervalMs: progress.intervalMs }),
            ...(progress.topic === undefined ? {} : { topic: progress.topic }),
            onError: (error) => this.emit('error', error),
          });
    new AutomaticFailover(config, monitor, options, {
      active: () => this.#active,
      ready: () => this.#run !== null && !this.#closed && !this.#failingOver,
      switchTo: async (target) => {
        await this.#switch(target, this.#active === this.#homeCluster ? 'failover' : 'failback', 'automatic');
      },
      held: (info) => this.emit('failover:held', info),
      error: (error) => this.emit('error', error),
    }).attach();
    monitor.on('health', (health) => this.emit('health', health));
  }

  /** The alias of the cluster this consumer reads now. */
  get activeCluster(): string {
    return this.#active;
  }

  /** Sets what to consume. Call before {@link MirrorKitConsumer.run}. */
  async subscribe(subscription: MirrorKitSubscription): Promise<void> {
    if (this.#run) {
      throw new MirrorKitClientError('CLIENT_ALREADY_RUNNING', 'subscribe() must come before run()');
    }
    if (!Array.isArray(subscription?.topics) || subscription.topics.length === 0) {
      throw new MirrorKitClientError('CLIENT_CONFIG_INVALID', 'topics: subscribe to at least one topic', {
        field: 'topics',
      });
    }
    for (const alias of subscription.sourceAliases ?? []) this.#config.requireAlias(alias, 'sourceAliases');
    this.#subscription = subscription;
  }

  /** Topics on `alias` that the subscription matches, sorted. */
  async matchingTopics(alias: string): Promise<string[]> {
    const subscription = this.#subscription;
    if (!subscription) return [];
    const policy = this.#config.policy;
    const patterns = subscription.topics.map((topic) =>
      subscription.remote === false
        ? new RegExp(`^${topic.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)
        : remoteTopicPattern(
            policy,
            topic,
            subscription.sourceAliases ? { sourceAliases: subscription.sourceAliases } : {},
          ),
    );
    // No kafkajs retries here: against a dead cluster they would hold a failover up for tens of
    // seconds. A failed listing is simply retried at the next refresh.
    const admin = this.#config.kafka(alias).admin({ retry: { retries: 1, initialRetryTime: 200 } });
    try {
      const timeoutMs = this.#options.metadataTimeoutMs ?? 5000;
      const all = await raceDeadline(
        (async () => {
          await admin.connect();
          return admin.listTopics();
        })(),
        timeoutMs,
        () => {
          throw new MirrorKitClientError(
            'CLIENT_CLUSTER_UNREACHABLE',
            `listing topics on ${alias} timed out after ${timeoutMs} ms`,
          );
        },
      );
      return all.filter((topic) => patterns.some((pattern) => pattern.test(topic))).sort();
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Starts consuming on the active cluster with kafkajs-style handlers. */
  async run(run: MirrorKitRunConfig): Promise<void> {
    if (!this.#subscription) {
      throw new MirrorKitClientError('CLIENT_NOT_CONNECTED', 'call subscribe() before run()');
    }
    if (this.#run) throw new MirrorKitClientError('CLIENT_ALREADY_RUNNING', 'run() was already called');
    if (!run.eachMessage && !run.eachBatch) {
      throw new MirrorKitClientError('CLIENT_CONFIG_INVALID', 'run: give eachMessage or eachBatch', {
        field: 'run',
      });
    }
    this.#run = run;
    await this.#locked(() => this.#startOn(this.#active, this.#subscription?.fromBeginning ?? false));
    this.#startWatcher();
    this.#progress?.start();
    if (this.#options.automaticFailover) this.#monitor.start();
  }

  #locked<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#lock.then(work, work);
    this.#lock = next.catch(() => undefined);
    return next;
  }

  #wrapHandlers(alias: string, epoch: number): Parameters<Consumer['run']>[0] {
    const run = this.#run as MirrorKitRunConfig;
    const policy = this.#config.policy;
    const stale = (): never => {
      // Throwing (rather than returning) keeps kafkajs from committing a record this consumer
      // never handed to the application, so a later failback cannot skip it.
      throw new MirrorKitClientError(
        'CLIENT_FAILOVER_IN_PROGRESS',
        `consumer on ${alias} was replaced by a failover`,
      );
    };
    const { eachMessage, eachBatch } = run;
    const progress = this.#progress;
    // Origins depend only on the topic: computed once per topic, not per record.
    const origins = new Map<string, MessageOrigin>();
    const originOf = (topic: string): MessageOrigin => {
      let origin = origins.get(topic);
      if (!origin) {
        origin = messageOrigin(policy, topic, alias);
        origins.set(topic, origin);
      }
      return origin;
    };
    return {
      partitionsConsumedConcurrently: run.partitionsConsumedConcurrently,
      autoCommit: run.autoCommit,
      autoCommitInterval: run.autoCommitInterval,
      autoCommitThreshold: run.autoCommitThreshold,
      eachBatchAutoResolve: run.eachBatchAutoResolve,
      eachMessage: eachMessage
        ? async (payload) => {
            if (epoch !== this.#epoch) stale();
            this.#handling++;
            try {
              await eachMessage({
                topic: payload.topic,
                partition: payload.partition,
                message: payload.message,
                heartbeat: payload.heartbeat,
                pause: payload.pause,
                cluster: alias,
                origin: originOf(payload.topic),
              });
              progress?.processed(payload.topic, payload.partition, payload.message, alias);
            } finally {
              this.#handlerDone();
            }
          }
        : undefined,
      eachBatch: eachBatch
        ? async (payload) => {
            if (epoch !== this.#epoch) stale();
            this.#handling++;
            try {
              const { batch } = payload;
              // What the handler resolved is what it processed; finding each offset's record walks
              // the batch once, as resolves only move forward.
              let at = 0;
              const resolveOffset = (offset: string): void => {
                payload.resolveOffset(offset);
                if (!progress) return;
                while (
                  at < batch.messages.length &&
                  BigInt(batch.messages[at]?.offset ?? '0') < BigInt(offset)
                )
                  at++;
                const message = batch.messages[at];
                if (message && message.offset === offset)
                  progress.processed(batch.topic, batch.partition, message, alias);
              };
              await eachBatch({
                ...payload,
                resolveOffset,
                cluster: alias,
                origin: originOf(payload.batch.topic),
              });
              const last = batch.messages[batch.messages.length - 1];
              if (last && run.eachBatchAutoResolve !== false)
                progress?.processed(batch.topic, batch.partition, last, alias);
            } finally {
              this.#handlerDone();
            }
          }
        : undefined,
    };
  }

  /** A handler finished: the last one wakes {@link #handlersIdle}'s waiters. */
  #handlerDone(): void {
    if (--this.#handling > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Settles once no handler runs. */
  #handlersIdle(): Promise<void> {
    if (this.#handling === 0) return Promise.resolve();
    return new Promise((resolveIdle) => this.#idleWaiters.push(resolveIdle));
  }

  async #startOn(alias: string, fromBeginning: boolean): Promise<void> {
    const topics = await this.matchingTopics(alias);
    this.#innerTopics = new Set(topics);
    if (topics.length === 0) return; // The watcher starts the consumer once a topic exists.
    const consumer = this.#newConsumer(alias);
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning });
    this.#hold.clear();
    await this.#hold.run(consumer, this.#wrapHandlers(alias, this.#epoch));
    this.#inner = consumer;
    this.emit('subscription:changed', { cluster: alias, added: topics, topics });
  }

  /**
   * The kafkajs consumer for `alias`, with the assigner the run handler asks for first (a dedup
   * handler's co-partitioned one: a group of instances handles both copies of a key in one) and
   * followed by the handler (a partitioned seen-key store restores at each join).
   */
  #newConsumer(alias: string): Consumer {
    const run = this.#run;
    const need = groupAssignmentNeedOf(run?.eachMessage ?? run?.eachBatch);
    const settings = this.#options.kafkajs;
    if (need === undefined)
      return this.#config.kafka(alias).consumer({ ...settings, groupId: this.#options.groupId });
    const consumer = this.#config.kafka(alias).consumer({
      ...settings,
      partitionAssigners: need.assigners(this.#config.policy, settings?.partitionAssigners),
      groupId: this.#options.groupId,
    });
    need.follow(consumer, alias);
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      if (payload.groupProtocol !== need.protocol)
        this.emit('assignment:fallback', {
          cluster: alias,
          wanted: need.protocol,
          protocol: payload.groupProtocol,
          memberId: payload.memberId,
        });
    });
    return consumer;
  }

  #startWatcher(): void {
    if (this.#watcher) return;
    let busy = false;
    this.#watcher = setInterval(() => {
      const alias = this.#active;
      if (busy || this.#closed || this.#failingOver || this.#monitor.isUnhealthy(alias)) return;
      busy = true;
      // The listing runs outside the lock, so a slow or dead cluster never delays a failover.
      this.matchingTopics(alias)
        .then((topics) => this.#locked(() => this.#applyTopics(alias, topics)))
        .catch((error: unknown) => {
          if (!this.#monitor.isUnhealthy(alias))
            this.emit('error', error instanceof Error ? error : new Error(String(error)));
        })
        .finally(() => {
          busy = false;
        });
    }, this.#options.metadataRefreshMs ?? 5000);
    this.#watcher.unref();
  }

  async #applyTopics(alias: string, topics: readonly string[]): Promise<void> {
    if (this.#closed || this.#failingOver || alias !== this.#active) return;
    const added = topics.filter((topic) => !this.#innerTopics.has(topic));
    if (added.length === 0) return;
    const fromBeginning = (this.#subscription?.newTopicsFrom ?? 'earliest') === 'earliest';
    if (!this.#inner) {
      await this.#startOn(alias, fromBeginning);
      return;
    }
    // kafkajs fixes the topic list at run(); adding topics means stop, subscribe, run again. The
    // group's committed offsets carry the position across the restart.
    await this.#inner.stop();
    await this.#inner.subscribe({ topics: added, fromBeginning });
    // run() starts a new kafkajs consumer group, which forgets paused partitions: hold them anew.
    this.#hold.clear();
    await this.#hold.run(this.#inner, this.#wrapHandlers(alias, this.#epoch));
    for (const topic of added) this.#innerTopics.add(topic);
    this.emit('subscription:changed', { cluster: alias, added, topics: [...this.#innerTopics].sort() });
  }

  /**
   * Moves the group to `target`: stops reading the active cluster, translates the group's position
   * through MM2's checkpoints on `target`, commits it there, and resumes on `target`.
   */
  async failover(target: string): Promise<FailoverReport> {
    this.#config.requireAlias(target, 'target');
    return this.#switch(target, target === this.#homeCluster ? 'failback' : 'failover', 'manual');
  }

  /**
   * Moves the group back to the cluster it started on, through the reverse flow's checkpoints
   * (`<active>.checkpoints.internal` on the home cluster). Refused with CLIENT_NO_REVERSE_FLOW when
   * no such flow has written checkpoints.
   */
  failback(): Promise<FailoverReport> {
    return this.#switch(this.#homeCluster, 'failback', 'manual');
  }

  #switch(
    target: string,
    kind: 'failover' | 'failback',
    reason: 'manual' | 'automatic',
  ): Promise<FailoverReport> {
    return this.#locked(async () => {
      if (this.#closed) throw new MirrorKitClientError('CLIENT_CLOSED', 'the consumer is disconnected');
      const from = this.#active;
      if (target === from) {
        throw new MirrorKitClientError('CLIENT_CONFIG_INVALID', `${target} is already the active cluster`, {
          field: 'target',
        });
      }
      this.#failingOver = true;
      const started = Date.now();
      try {
        this.emit('failover:start', { from, to: target, kind, reason });
        if (kind === 'failback') this.emit('failback:start', { from, to: target, reason });
        // Handlers of the old consumer turn stale first, so nothing is handed to the application
        // from `from` once the switch has begun.
        this.#epoch++;
        const old = this.#inner;
        this.#inner = null;
        if (old) {
          const stopping = old.disconnect().catch(() => undefined);
          // A healthy cluster gets a clean stop, so the group's last commits land there (a later
          // failback starts from them). A dead one cannot answer; waiting would only add to the
          // outage, and the stale-epoch guard already keeps its consumer from delivering.
          if (!this.#monitor.isUnhealthy(from))
            await raceDeadline(stopping, this.#options.stopTimeoutMs ?? 3000, () => undefined);
        }
        // A handler that started before the switch is processing its record: let it finish (up to
        // the stop timeout), so its record is part of the final progress and is not handed again
        // on the target while it is still being processed here.
        await raceDeadline(this.#handlersIdle(), this.#options.stopTimeoutMs ?? 3000, () => undefined);
        // This instance's last positions go to the target before anyone plans there; a failure only
        // makes the plan less exact (an older progress record, or the checkpoint).
        await this.#progress?.flush(target).catch((error: unknown) => {
          this.emit('error', error instanceof Error ? error : new Error(String(error)));
        });
        const stoppedAt = Date.now();
        const translation = await this.#translate(from, target, kind);
        const positions = translation.plan.positions;
        this.emit('offsets:translated', { from, to: target, positions });
        const translatedAt = Date.now();
        const committed = await this.#commit(target, positions);
        const committedAt = Date.now();
        this.#active = target;
        await this.#progress?.switchSource(target);
        await this.#startOn(target, this.#subscription?.fromBeginning ?? false);
        const report: FailoverReport = {
          steps: {
            stopMs: stoppedAt - started,
            translateMs: translatedAt - stoppedAt,
            commitMs: committedAt - translatedAt,
            resumeMs: Date.now() - committedAt,
          },
          from,
          to: target,
          kind,
          reason,
          durationMs: Date.now() - started,
          positions,
          partitionsWithoutCheckpoint: positions.filter(
            (p) =>
              this.#config.policy.topicSource(p.topic) === from &&
              (p.basis === 'earliest' || p.basis === 'latest'),
          ).length,
          noCheckpointRule: this.#options.noCheckpoint ?? 'earliest',
          problems: translation.plan.problems,
          lostRecords: translation.plan.lostRecords,
          skippedCheckpointRecords: translation.skipped,
          skippedProgressRecords: translation.skippedProgress,
          committed,
        };
        this.#switchAttempts = 0;
        this.emit('failover:complete', report);
        if (kind === 'failback') this.emit('failback:complete', report);
        return report;
      } catch (error) {
        // The old consumer is stopped: never leave the group reading from nowhere.
        if (!this.#closed && !this.#inner && this.#active === from)
          await this.#afterFailedSwitch(from, target, kind, reason, error);
        throw error;
      } finally {
        this.#failingOver = false;
      }
    });
  }

  /**
   * A switch failed after the old consumer stopped (no checkpoints topic yet, a timeout, the target
   * refusing). Back to `from` if it answers; else nothing can be read anywhere, and the switch is
   * tried again with backoff until it succeeds or `from` answers again.
   */
  async #afterFailedSwitch(
    from: string,
    target: string,
    kind: 'failover' | 'failback',
    reason: 'manual' | 'automatic',
    error: unknown,
  ): Promise<void> {
    const attempt = ++this.#switchAttempts;
    let resumedOn: string | null = null;
    if ((await this.#monitor.probe(from)).reachable) {
      try {
        await this.#startOn(from, this.#subscription?.fromBeginning ?? false);
        resumedOn = from;
      } catch {
        // It answered a probe but not a consumer: treated as down, retried below.
      }
    }
    this.emit('failover:failed', {
      from,
      to: target,
      kind,
      error: error instanceof Error ? error : new Error(String(error)),
      attempt,
      resumedOn,
    });
    if (resumedOn !== null) {
      this.#switchAttempts = 0;
      return;
    }
    const delayMs = Math.min(1000 * 2 ** (attempt - 1), 30_000);
    this.emit('failover:retry', { from, to: target, kind, attempt, delayMs });
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    // Not unref'd: while it is pending the consumer has work to do, and a program whose only work
    // is this consumer must not exit in the middle of it.
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (this.#closed || this.#active !== from || this.#inner) return;
      this.#switch(target, kind, reason).catch(() => undefined);
    }, delayMs);
  }

  /**
   * Gathers what core's failover planner decides from — the group's checkpoints on `target`, every
   * partition the group will read there with its bounds, the group's commits there and, on
   * failback, its commits on `from` and the forward flow's offset syncs — and asks it for a plan.
   */
  async #translate(
    from: string,
    target: string,
    kind: 'failover' | 'failback',
  ): Promise<{ plan: FailoverPlan; skipped: number; skippedProgress: number }> {
    const policy = this.#config.policy;
    const groupId = this.#options.groupId;
    const kafka: Kafka = this.#config.kafka(target);
    const checkpointsTopic = policy.checkpointsTopic(from);
    const timeoutMs = this.#options.checkpointTimeoutMs ?? 15_000;
    let checkpoints: readonly GroupCheckpoint[] = [];
    let skipped = 0;
    let noReverseFlow: MirrorKitClientError | undefined;
    try {
      const read = await readCheckpoints(kafka, { sourceAlias: from, policy, group: groupId, timeoutMs });
      checkpoints = read.offsets;
      skipped = read.skipped;
    } catch (error) {
      const missing = (error as { code?: unknown }).code === 'READER_UNKNOWN_TOPIC';
      const failure = new MirrorKitClientError(
        kind === 'failback' && missing ? 'CLIENT_NO_REVERSE_FLOW' : 'CLIENT_FAILOVER_FAILED',
        missing
          ? `${target} has no ${checkpointsTopic}: no MirrorMaker 2 flow ${from}->${target} writes checkpoints, so the group's position cannot be translated`
          : `reading ${checkpointsTopic} on ${target} failed: ${(error as Error).message}`,
        { cause: error },
      );
      // A group that only read copies of the home cluster's topics while failed over has no
      // checkpoints in the reverse flow: the forward flow's offset syncs may still place it.
      if (kind !== 'failback' || !missing) throw failure;
      noReverseFlow = failure;
    }
    const settings = this.#options.progress === false ? undefined : this.#options.progress;
    let progress: readonly ProgressRecord[] = [];
    let skippedProgress = 0;
    if (this.#progress) {
      const read = await readProgressRecords(kafka, {
        group: groupId,
        ...(settings?.topic === undefined ? {} : { topic: settings.topic }),
        timeoutMs,
      });
      progress = read?.records ?? [];
      skippedProgress = read?.skipped ?? 0;
    }
    const topics = await this.matchingTopics(target);
    const partitions: PartitionBounds[] = [];
    let committed: PartitionOffset[] = [];
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const topic of topics)
        for (const { partition, low, high } of await admin.fetchTopicOffsets(topic))
          partitions.push({ topic, partition, logStart: BigInt(low), highWatermark: BigInt(high) });
      committed = topics.length === 0 ? [] : await fetchCommittedOffsets(admin, groupId, topics);
    } finally {
      await admin.disconnect();
    }
    let committedOnFrom: PartitionOffset[] = [];
    let offsetSyncs: Awaited<ReturnType<typeof readOffsetSyncs>> = [];
    if (kind === 'failback' && !this.#monitor.isUnhealthy(from)) {
      const fromAdmin = this.#config.kafka(from).admin();
      await fromAdmin.connect();
      try {
        committedOnFrom = (await fetchCommittedOffsets(fromAdmin, groupId)).filter(
          (c) => policy.topicSource(c.topic) === target,
        );
      } finally {
        await fromAdmin.disconnect();
      }
      if (committedOnFrom.length > 0)
        offsetSyncs = (await readOffsetSyncs(kafka, policy, from, timeoutMs)) ?? [];
    }
    // Without the reverse flow's checkpoints, only the forward flow's offset syncs can place the
    // group; with neither, nothing proves where it is: refused rather than guessed.
    if (noReverseFlow && (committedOnFrom.length === 0 || (offsetSyncs ?? []).length === 0))
      throw noReverseFlow;
    const input = {
      from,
      to: target,
      policy,
      partitions,
      checkpoints: checkpoints.map((c) => ({
        topic: c.topic,
        partition: c.partition,
        offset: c.targetOffset,
        upstreamOffset: c.sourceOffset,
        metadata: c.metadata,
      })),
      progress,
      committed,
      committedOnFrom,
      offsetSyncs: offsetSyncs ?? [],
      noPosition: this.#options.noCheckpoint ?? 'earliest',
    };
    const plan = await refineByFingerprint(kafka, planFailover(input), input, {
      timeoutMs,
      ...(settings?.searchLimit === undefined ? {} : { maxRecords: settings.searchLimit }),
    });
    return { plan, skipped, skippedProgress };
  }

  /** Commits `positions` for the group on `target`, unless members there already own the group. */
  async #commit(target: string, positions: readonly FailoverPosition[]): Promise<boolean> {
    const groupId = this.#options.groupId;
    const kafka = this.#config.kafka(target);
    try {
      await commitGroupOffsets(kafka, groupId, positions);
    } catch (error) {
      // Another instance of this application already failed over and is consuming: its members
      // own the group's offsets now, and committing over them would rewind a running group.
      if (error instanceof GroupOffsetsError && error.code === 'GROUP_NOT_EMPTY') return false;
      throw new MirrorKitClientError(
        'CLIENT_FAILOVER_FAILED',
        `committing translated offsets on ${target} failed: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = [...new Set(positions.map((p) => p.topic))];
      const readBack = await fetchCommittedOffsets(admin, groupId, topics);
      for (const { topic, partition, offset: expected } of positions) {
        const offset = readBack.find((c) => c.topic === topic && c.partition === partition)?.offset;
        if (offset !== expected) {
          throw new MirrorKitClientError(
            'CLIENT_FAILOVER_FAILED',
            `committed offset of ${groupId} on ${target} ${topic}[${partition}] reads back as ${offset ?? 'none'}, expected ${expected}`,
          );
        }
      }
      return true;
    } finally {
      await admin.disconnect();
    }
  }

  /** Stops consuming and closes every connection. */
  async disconnect(): Promise<void> {
    this.#closed = true;
    this.#hold.clear();
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    if (this.#watcher) clearInterval(this.#watcher);
    this.#watcher = null;
    await this.#locked(async () => {
      this.#epoch++;
      const inner = this.#inner;
      this.#inner = null;
      // On a healthy cluster the final commit and LeaveGroup must land (kafkajs first waits for the
      // fetch in flight, up to maxWaitTimeInMs); on a dead one nothing can, so do not wait long.
      const reachable = inner !== null && (await this.#monitor.probe(this.#active)).reachable;
      const limit = reachable ? 60_000 : (this.#options.stopTimeoutMs ?? 3000);
      if (inner) await raceDeadline(inner.disconnect(), limit, () => undefined).catch(() => undefined);
    });
    await this.#progress?.close();
    await this.#monitor.stop();
  }
}
