import {
  type Checkpoint,
  type CopyProducerSettings,
  commitGroupOffsets,
  createTopicsAndWait,
  decodeOffsetSync,
  encodeCheckpoint,
  encodeOffsetSync,
  ensureInternalTopic,
  type FlowConfig,
  groupFilter,
  MirrorKitCodecError,
  type OffsetSync,
  OffsetSyncStore,
  observeCompression,
  readTopicToEnd,
  UndecodablePartitionHold,
} from '@mirrorkit/core';
import kafkajs, {
  type Admin,
  type CompressionTypes as CompressionType,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type Producer,
} from 'kafkajs';
import { CopiedOffsets } from './copied-offsets.js';
import type { FlowStatus, StoppedPartition } from './flow-status.js';
import type { ReplicatorLogger } from './logger.js';
import type { ReplicatorMetrics } from './metrics.js';
import { PartitionSyncState } from './offset-sync-emitter.js';
import { MirrorKitReplicatorError } from './replicator-error.js';
import { RestartBackoff } from './restart-backoff.js';
import { replicatedConfigs } from './topic-selection.js';
import { sameSelection, selectedTopics, topicWatchIntervalSeconds } from './topic-watch.js';

/** Options of {@link FlowReplicator}. */
export interface FlowReplicatorOptions {
  readonly flow: FlowConfig;
  readonly source: Kafka;
  readonly target: Kafka;
  /** The consumer group on the source that spreads partitions over replicator processes. */
  readonly groupId: string;
  /**
   * Prefix of every group this replicator runs on the source (its replication and exactly-once
   * groups), so that checkpointing skips them. Default: `groupId` itself.
   */
  readonly groupIdPrefix?: string;
  readonly metrics: ReplicatorMetrics;
  readonly log: ReplicatorLogger;
  /**
   * Exactly-once (MM2's `exactly.once.source.support = enabled`): each batch is written in a
   * transaction that also commits the source position on the target, with one transactional id
   * per source partition so a process that lost the partition is fenced.
   */
  readonly exactlyOnce?: boolean;
  /** How copies are written (compression); uncompressed when absent, as MM2's default. */
  readonly copyProducer?: CopyProducerSettings;
}

// kafkajs is CommonJS; Node's ESM loader cannot see CompressionTypes as a named export.
const { CompressionTypes } = kafkajs;

const TOPIC_RESOURCE = 2;
// kafkajs reports where a config value comes from; 1 is a value set on the topic itself.
const DYNAMIC_TOPIC_CONFIG = 1;

/** Payload bytes per produce request: well under the broker's default message.max.bytes (1 MiB). */
const CHUNK_BYTES = 512 * 1024;

function recordBytes(m: {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, unknown>;
}): number {
  let bytes = (m.key?.length ?? 0) + (m.value?.length ?? 0);
  for (const [name, value] of Object.entries(m.headers ?? {})) {
    bytes += name.length;
    for (const v of Array.isArray(value) ? value : [value])
      bytes += (v as Buffer | string | undefined)?.length ?? 0;
  }
  return bytes;
}

const sleep = (ms: number): Promise<void> => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/**
 * Replicates one flow `source->target` the way MM2's connectors do, with the same names and
 * records: remote topics (partitions and configs kept in sync), every record copied to the same
 * partition in order, offset syncs on the source, checkpoints and heartbeats on the target, and
 * optionally group offsets synced on the target. Partitions are shared with other processes
 * through the consumer group `groupId`; each process checkpoints the partitions it owns.
 */
export class FlowReplicator {
  readonly #o: FlowReplicatorOptions;
  readonly #labels: { flow: string };
  #sourceAdmin: Admin | null = null;
  #targetAdmin: Admin | null = null;
  #producer: Producer | null = null;
  #syncProducer: Producer | null = null;
  #consumer: Consumer | null = null;
  /** Replicated source topics and their partition counts. */
  #topics = new Map<string, number>();
  #subscribed: string[] = [];
  /** Topics and partition counts the copy consumer was started for. */
  #running = '';
  /** Source partitions this process owns in the replication group. */
  #owned = new Set<string>();
  #syncStates = new Map<string, PartitionSyncState>();
  /** Exactly-once: a transactional producer per source partition, and the next offset to copy. */
  #txnProducers = new Map<string, Producer>();
  #eosPositions = new Map<string, bigint>();
  #txnReset: Promise<void> = Promise.resolve();
  #syncStore = new OffsetSyncStore();
  /** Where this process copied what, for exact checkpoints; the offset syncs cover the rest. */
  readonly #copies = new CopiedOffsets();
  #syncListeners = new Set<OffsetSync[]>();
  /** The last checkpoint emitted per group and remote partition, and the copy history it came from. */
  #lastCheckpoints = new Map<string, { upstream: bigint; downstream: bigint; generation: number }>();
  /** The newest checkpoint per group and remote partition, for group offset sync. */
  #latest = new Map<string, Checkpoint>();
  /** Pending timers, each removed when it fires: a loop ticking every second must not grow it. */
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopping = false;
  #joined = false;
  #lastError: string | null = null;
  #lastCheckpointAt = 0;
  #restarting: Promise<void> | null = null;
  readonly #backoff = new RestartBackoff();
  /** Since when the copy loop has not been running; null while it runs. */
  #downSince: number | null = Date.now();
  /** When each held partition was first held, for {@link status}. */
  readonly #heldSince = new WeakMap<object, number>();
  readonly #compression: CompressionType;
  // A source batch that does not decode holds its partition (never copied past, reported as a
  // failing step, fetched again later); the flow's other partitions go on being copied.
  readonly #hold = new UndecodablePartitionHold({
    onHeld: (error) => {
      if (!this.#heldSince.has(error)) this.#heldSince.set(error, Date.now());
      this.#failed('copy', error);
    },
  });

  constructor(options: FlowReplicatorOptions) {
    this.#o = options;
    this.#compression = options.copyProducer?.compression ?? CompressionTypes.None;
    this.#labels = { flow: `${options.flow.source}->${options.flow.target}` };
  }

  /** `source->target`. */
  get name(): string {
    return this.#labels.flow;
  }

  /** True once the copy consumer has joined its group and the topics were synced once. */
  get ready(): boolean {
    return this.#joined;
  }

  /** The last error of any loop, cleared by the next success; null when healthy. */
  get lastError(): string | null {
    // A held partition keeps the flow unhealthy even while its other partitions copy fine.
    const held = this.#hold.held[0];
    return held ? `copy: ${held.message}` : this.#lastError;
  }

  /** Source topics replicated now. */
  get topics(): string[] {
    return [...this.#topics.keys()].sort();
  }

  /** What this flow says about itself to `/healthz`, `/metrics` and `Replicator.health()`. */
  status(): FlowStatus {
    const stoppedPartitions: StoppedPartition[] = this.#hold.held.map((error) => ({
      topic: error.topic,
      partition: error.partition,
      offset: error.offset.toString(),
      code: error.code,
      error: error.message,
      since: this.#heldSince.get(error) ?? Date.now(),
    }));
    const running = this.#running !== '' && this.#restarting === null && this.#downSince === null;
    return {
      flow: this.name,
      ready: this.ready,
      state: running ? 'running' : this.#joined ? 'restarting' : 'starting',
      downSince: running ? null : (this.#downSince ?? Date.now()),
      lastError: this.lastError,
      stoppedPartitions,
      skippedRecords: 0,
      topics: this.topics,
    };
  }

  /**
   * Connects, creates the flow's internal topics and remote topics, and starts copying.
   * `ensureSourceHeartbeatsTopic` runs once both clusters answered, before the first topic
   * selection, so that the source's heartbeats topic is part of it. Its failure is reported like a
   * failing step (log, /healthz) and does not stop the flow: the topic watch picks the topic up
   * once it exists.
   */
  async start(hooks: { ensureSourceHeartbeatsTopic?: () => Promise<void> } = {}): Promise<void> {
    const { source, target, flow } = this.#o;
    this.#sourceAdmin = source.admin();
    this.#targetAdmin = target.admin();
    // One at a time, so the error names the cluster that cannot be reached.
    for (const [role, alias, admin] of [
      ['source', flow.source, this.#sourceAdmin],
      ['target', flow.target, this.#targetAdmin],
    ] as const) {
      try {
        await admin.connect();
      } catch (error) {
        throw new MirrorKitReplicatorError(
          'REPLICATOR_CLUSTER_UNREACHABLE',
          `${role} cluster ${alias} is unreachable: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    this.#producer = target.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.#syncProducer = source.producer({ idempotent: true });
    await Promise.all([this.#producer.connect(), this.#syncProducer.connect()]);
    await this.#ensureTopic(
      this.#sourceAdmin,
      flow.policy.offsetSyncsTopic(flow.target),
      flow.offsetSyncsTopicReplicationFactor,
    );
    await this.#ensureTopic(
      this.#targetAdmin,
      flow.policy.checkpointsTopic(flow.source),
      flow.checkpointsTopicReplicationFactor,
    );
    await this.#reloadOffsetSyncs();
    await hooks
      .ensureSourceHeartbeatsTopic?.()
      .catch((error: unknown) => this.#failed('heartbeats-topic', error));
    await this.#syncTopics();
    await this.#restartConsumer();
    // The full re-sync and the watch's re-syncs run one at a time: two at once would both create
    // the same remote topic, or restart the consumer twice.
    let refreshing: Promise<void> = Promise.resolve();
    const refresh = (): Promise<void> => {
      const run = refreshing.then(async () => {
        await this.#syncTopics();
        // Compared with what the consumer runs on, so a restart that failed is tried again.
        if (this.#wanted() !== this.#running) await this.#restartConsumer();
      });
      refreshing = run.catch(() => undefined);
      return run;
    };
    this.#every(
      flow.refreshTopics.enabled ? flow.refreshTopics.intervalSeconds : 0,
      'refresh-topics',
      refresh,
    );
    // Between full re-syncs: one metadata request, and a re-sync only when the selected topics or
    // their partition counts changed (or the consumer does not run on the current selection).
    const sourceAdmin = this.#sourceAdmin as Admin;
    this.#every(topicWatchIntervalSeconds(flow), 'watch-topics', async () => {
      const seen = await selectedTopics(sourceAdmin, flow);
      const changed = !sameSelection(seen, this.#topics);
      const behind = this.#restarting === null && this.#wanted() !== this.#running;
      if (!changed && !behind) return;
      if (changed) this.#o.log.info('source topics changed; syncing', { flow: this.name, topics: seen.size });
      await refresh();
    });
    if (flow.emitCheckpoints.enabled)
      this.#every(flow.emitCheckpoints.intervalSeconds, 'checkpoints', () => this.#emitCheckpoints());
    this.#every(1, 'gauges', async () => {
      if (this.#lastCheckpointAt > 0)
        this.#o.metrics.set(
          'mirrorkit_replicator_checkpoint_age_seconds',
          this.#labels,
          (Date.now() - this.#lastCheckpointAt) / 1000,
        );
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#hold.clear();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await this.#restarting?.catch(() => undefined);
    // Disconnecting the consumer commits what was resolved (every record acknowledged by the
    // target) and leaves the group, so the others take over at once.
    await this.#consumer?.disconnect().catch(() => undefined);
    await Promise.all([...this.#txnProducers.values()].map((p) => p.disconnect().catch(() => undefined)));
    this.#txnProducers.clear();
    await Promise.all([
      this.#producer?.disconnect(),
      this.#syncProducer?.disconnect(),
      this.#sourceAdmin?.disconnect(),
      this.#targetAdmin?.disconnect(),
    ]).catch(() => undefined);
  }

  /** Runs `work` once after `ms`, unless the flow stops first. */
  #after(ms: number, work: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void work();
    }, ms);
    this.#timers.add(timer);
  }

  /** Runs `work` every `seconds` (0: never), after the previous run finished; errors back off. */
  #every(seconds: number, what: string, work: () => Promise<void>): void {
    if (seconds <= 0) return;
    let delay = seconds * 1000;
    const tick = async (): Promise<void> => {
      if (this.#stopping) return;
      try {
        await work();
        delay = seconds * 1000;
      } catch (error) {
        this.#failed(what, error);
        delay = Math.min(delay * 2, 30_000);
      }
      if (!this.#stopping) this.#after(delay, tick);
    };
    this.#after(delay, tick);
  }

  #failed(what: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#lastError = `${what}: ${message}`;
    this.#o.metrics.inc('mirrorkit_replicator_errors_total', { ...this.#labels, kind: what });
    this.#o.log.warn('replication step failed; retrying', { flow: this.name, step: what, error: message });
  }

  async #ensureTopic(admin: Admin, topic: string, replicationFactor: number): Promise<void> {
    await ensureInternalTopic(admin, topic, replicationFactor);
  }

  /** Creates or updates remote topics; true when the set of replicated topics changed. */
  async #syncTopics(): Promise<boolean> {
    const { flow } = this.#o;
    const sourceAdmin = this.#sourceAdmin as Admin;
    const targetAdmin = this.#targetAdmin as Admin;
    // The watch's own selection, so a change it saw is the change this sync acts on.
    const next = await selectedTopics(sourceAdmin, flow);
    const selected = [...next.keys()];
    const targetTopics = new Set(await targetAdmin.listTopics());
    const remoteCounts = new Map<string, number>();
    const existingRemotes = selected
      .map((t) => flow.policy.formatRemoteTopic(flow.source, t))
      .filter((r) => targetTopics.has(r));
    if (existingRemotes.length > 0) {
      for (const t of (await targetAdmin.fetchTopicMetadata({ topics: existingRemotes })).topics)
        remoteCounts.set(t.name, t.partitions.length);
    }
    const configs =
      flow.syncTopicConfigs.enabled || next.size > 0
        ? await this.#sourceConfigs([...next.keys()])
        : new Map();
    for (const [topic, partitions] of next) {
      const remote = flow.policy.formatRemoteTopic(flow.source, topic);
      const wanted: Record<string, string> = configs.get(topic) ?? {};
      const have = remoteCounts.get(remote);
      if (have === undefined) {
        await createTopicsAndWait(targetAdmin, {
          topics: [
            {
              topic: remote,
              numPartitions: partitions,
              replicationFactor: flow.replicationFactor,
              configEntries: Object.entries(wanted).map(([name, value]) => ({ name, value })),
            },
          ],
        });
        this.#o.log.info('created remote topic', { flow: this.name, topic: remote, partitions });
      } else if (have < partitions) {
        // Never shrink: a partition cannot be removed, and records already copied live there.
        await targetAdmin.createPartitions({ topicPartitions: [{ topic: remote, count: partitions }] });
        this.#o.log.info('grew remote topic', { flow: this.name, topic: remote, from: have, to: partitions });
      }
    }
    if (flow.syncTopicConfigs.enabled) await this.#syncConfigs(next, configs);
    const changed = !sameSelection(next, this.#topics);
    this.#topics = next;
    return changed;
  }

  async #sourceConfigs(topics: string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>();
    if (topics.length === 0) return out;
    const described = await (this.#sourceAdmin as Admin).describeConfigs({
      resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name })),
      includeSynonyms: false,
    });
    for (const resource of described.resources) {
      out.set(
        resource.resourceName,
        replicatedConfigs(
          this.#o.flow,
          resource.configEntries.map((e) => ({
            name: e.configName,
            value: e.configValue,
            explicit: (e as { configSource?: number }).configSource === DYNAMIC_TOPIC_CONFIG,
          })),
        ),
      );
    }
    return out;
  }

  async #syncConfigs(
    topics: Map<string, number>,
    configs: Map<string, Record<string, string>>,
  ): Promise<void> {
    const { flow } = this.#o;
    const targetAdmin = this.#targetAdmin as Admin;
    const remotes = [...topics.keys()].map((t) => flow.policy.formatRemoteTopic(flow.source, t));
    if (remotes.length === 0) return;
    const current = await targetAdmin.describeConfigs({
      resources: remotes.map((name) => ({ type: TOPIC_RESOURCE, name })),
      includeSynonyms: false,
    });
    const currentByTopic = new Map(
      current.resources.map((r) => [
        r.resourceName,
        Object.fromEntries(
          r.configEntries
            .filter((e) => (e as { configSource?: number }).configSource === DYNAMIC_TOPIC_CONFIG)
            .map((e) => [e.configName, e.configValue]),
        ) as Record<string, string>,
      ]),
    );
    for (const topic of topics.keys()) {
      const remote = flow.policy.formatRemoteTopic(flow.source, topic);
      const wanted = configs.get(topic) ?? {};
      const have = currentByTopic.get(remote) ?? {};
      const differs = Object.entries(wanted).some(([k, v]) => have[k] !== v);
      if (!differs) continue;
      // kafkajs has no incremental alter: send the source's explicit configs plus the remote's own
      // explicit ones that the source does not set, so nothing set on the target is reset.
      const merged = { ...have, ...wanted };
      await targetAdmin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: TOPIC_RESOURCE,
            name: remote,
            configEntries: Object.entries(merged).map(([name, value]) => ({ name, value })),
          },
        ],
      });
      this.#o.log.info('synced topic configs', { flow: this.name, topic: remote, keys: Object.keys(wanted) });
    }
  }

  #wanted(): string {
    return [...this.#topics]
      .map(([t, n]) => `${t}:${n}`)
      .sort()
      .join(',');
  }

  /** Starts (or restarts, after the topics or their partitions changed) the copy consumer. */
  #restartConsumer(): Promise<void> {
    const run = (async () => {
      const topics = [...this.#topics.keys()];
      const wanted = this.#wanted();
      this.#running = '';
      this.#downSince ??= Date.now();
      this.#o.log.info('starting copy consumer', { flow: this.name, topics: wanted });
      if (this.#consumer) {
        await this.#consumer.disconnect().catch(() => undefined);
        this.#consumer = null;
        // A fresh producer: kafkajs's cached metadata would not know partitions added just now.
        await this.#producer?.disconnect().catch(() => undefined);
        this.#producer = this.#o.target.producer({ idempotent: true, maxInFlightRequests: 1 });
        await this.#producer.connect();
      }
      this.#owned.clear();
      this.#subscribed = topics;
      if (topics.length === 0 || this.#stopping) {
        this.#joined = true;
        this.#running = wanted;
        this.#downSince = null;
        return;
      }
      const consumer = this.#o.source.consumer({
        groupId: this.#o.groupId,
        readUncommitted: false,
        maxWaitTimeInMs: 100,
        sessionTimeout: 10_000,
        rebalanceTimeout: 20_000,
      });
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        this.#owned = new Set(
          Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) =>
            (partitions as number[]).map((p) => `${topic}\u0000${p}`),
          ),
        );
        this.#joined = true;
        // kafkajs rejoins by itself after a retriable crash, without going through a restart here.
        this.#downSince = null;
        // Partitions that went to another process are copied there from now on, past what is kept here.
        this.#copies.retain(this.#owned);
        // Positions are read again from the target: another process may have moved them. Cached
        // transactional producers may have been fenced by another owner meanwhile: start afresh
        // (re-initialising an id also aborts what a dead owner left open).
        this.#eosPositions.clear();
        const stale = [...this.#txnProducers.values()];
        this.#txnProducers.clear();
        this.#txnReset = Promise.all(stale.map((p) => p.disconnect().catch(() => undefined))).then(
          () => undefined,
        );
        this.#o.log.info('copy consumer joined', { flow: this.name, partitions: this.#owned.size });
        // A new owner continues partitions another process synced: pick up its offset syncs.
        void this.#reloadOffsetSyncs().catch((error: unknown) => this.#failed('offset-syncs', error));
      });
      consumer.on(consumer.events.CRASH, (event) => {
        this.#failed('copy', event.payload.error);
        if (!this.#stopping) this.#downSince ??= Date.now();
        // kafkajs gives up on errors it deems not retriable: the flow must not stop copying for
        // good, so it starts a new consumer (from the committed positions) a little later.
        if (event.payload.restart || this.#stopping) return;
        this.#scheduleRestart(consumer, event.payload.error);
      });
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
      this.#consumer = consumer;
      this.#hold.clear();
      await this.#hold.run(consumer, {
        eachBatchAutoResolve: false,
        autoCommitInterval: 1000,
        eachBatch: (payload) => this.#copy(payload),
      });
      this.#running = wanted;
      this.#downSince = null;
      this.#backoff.healthy(Date.now());
    })();
    this.#restarting = run;
    return run.finally(() => {
      if (this.#restarting === run) this.#restarting = null;
    });
  }

  /**
   * Restarts the copy loop (new consumer and producer; exactly-once positions re-read on join)
   * after a crash kafkajs will not recover from, with backoff, until it runs again: never a loop
   * that gives up.
   */
  #scheduleRestart(crashed: Consumer, error: unknown): void {
    const delay = this.#backoff.crashed(Date.now());
    this.#o.metrics.inc('mirrorkit_replicator_restarts_total', this.#labels);
    this.#o.log.error('copy loop crashed; restarting', {
      flow: this.name,
      error: error instanceof Error ? error.message : String(error),
      delayMs: delay,
    });
    this.#after(delay, async () => {
      if (this.#stopping || this.#consumer !== crashed) return;
      this.#eosPositions.clear();
      await this.#restartConsumer().catch((restartError: unknown) => {
        this.#failed('copy', restartError);
        if (!this.#stopping && this.#consumer === crashed) this.#scheduleRestart(crashed, restartError);
      });
    });
  }

  async #copy(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const { flow, metrics } = this.#o;
    const remote = flow.policy.formatRemoteTopic(flow.source, batch.topic);
    // Sent in chunks of at most CHUNK_BYTES: one produce request per fetched batch could exceed the
    // broker's message.max.bytes (a 1 MiB fetch of 1 KiB records is already too much).
    const key = `${batch.topic}\u0000${batch.partition}`;
    let state = this.#syncStates.get(key);
    if (!state) {
      state = new PartitionSyncState(BigInt(flow.offsetLagMax));
      this.#syncStates.set(key, state);
    }
    const syncs: OffsetSync[] = [];
    /** Sends the target acknowledged, each landing contiguously from its base offset. */
    const landed: { chunk: typeof batch.messages; base: bigint }[] = [];
    let bytes = 0;
    // What the codec took in and gave out for this batch's sends (every attempt kafkajs made).
    let uncompressedBytes = 0;
    let compressedBytes = 0;
    let from = 0;
    let messagesToCopy = batch.messages;
    let txn: Awaited<ReturnType<Producer['transaction']>> | null = null;
    if (this.#o.exactlyOnce) {
      // Fence first: initialising the partition's transactional id aborts a transaction a previous
      // owner left open, whose pending offset commit would otherwise keep the position unstable.
      await this.#txnReset;
      const txnProducer = await this.#txnProducer(key);
      const position = await this.#eosPosition(remote, batch.partition, key);
      // Records below the position were written (and committed) by an earlier transaction.
      messagesToCopy = batch.messages.filter((m) => BigInt(m.offset) >= position);
      if (messagesToCopy.length === 0) {
        const skippedTo = batch.messages[batch.messages.length - 1];
        if (skippedTo) resolveOffset(skippedTo.offset);
        await heartbeat();
        return;
      }
      txn = await txnProducer.transaction();
    }
    const producer = txn ?? (this.#producer as Producer);
    while (from < messagesToCopy.length) {
      let to = from;
      let chunkBytes = 0;
      while (to < messagesToCopy.length && (to === from || chunkBytes < CHUNK_BYTES)) {
        const size = recordBytes(messagesToCopy[to] as (typeof messagesToCopy)[number]);
        bytes += size;
        // Plus about 70 bytes of record framing each.
        chunkBytes += size + 70;
        to++;
      }
      const chunk = messagesToCopy.slice(from, to);
      let metadata: Awaited<ReturnType<Producer['send']>>;
      try {
        metadata = await observeCompression(
          (o) => {
            compressedBytes += o.compressedBytes;
            uncompressedBytes += o.uncompressedBytes;
          },
          () =>
            producer.send({
              topic: remote,
              acks: -1,
              compression: this.#compression,
              messages: chunk.map((m) => ({
                key: m.key,
                value: m.value,
                headers: m.headers,
                timestamp: m.timestamp,
                partition: batch.partition,
              })),
            }),
        );
      } catch (error) {
        // kafkajs retries the batch; nothing is resolved or committed, so nothing is lost.
        this.#failed('copy', error);
        if (txn) await this.#abort(txn, key);
        throw error;
      }
      const ackedAt = Date.now();
      // Offsets of one idempotent send to one partition are contiguous from its base offset.
      const base = BigInt(metadata[0]?.baseOffset ?? '-1');
      if (base >= 0n) landed.push({ chunk, base });
      chunk.forEach((m, i) => {
        const upstream = BigInt(m.offset);
        const downstream = base + BigInt(i);
        if (base >= 0n && state.update(upstream, downstream))
          syncs.push({
            topic: batch.topic,
            partition: batch.partition,
            upstreamOffset: upstream,
            downstreamOffset: downstream,
          });
        metrics.observeLatency(this.#labels, Math.max(0, ackedAt - Number(m.timestamp)));
      });
      from = to;
    }
    const messages = messagesToCopy;
    if (txn) {
      const next = BigInt((messagesToCopy[messagesToCopy.length - 1] as { offset: string }).offset) + 1n;
      try {
        // The source position goes to the target in the same transaction as the records.
        await txn.sendOffsets({
          consumerGroupId: this.#eosGroup(),
          topics: [{ topic: remote, partitions: [{ partition: batch.partition, offset: next.toString() }] }],
        });
        await txn.commit();
      } catch (error) {
        this.#failed('copy', error);
        await this.#abort(txn, key);
        throw error;
      }
      this.#eosPositions.set(key, next);
    }
    // Only now, once the copies are there for good (a transaction that aborts leaves its copies
    // unreadable), and only for an owned partition, so what is kept stays bounded by the assignment.
    if (this.#owned.has(key))
      for (const { chunk, base } of landed)
        for (let i = 0; i < chunk.length; i++)
          this.#copies.record(key, BigInt((chunk[i] as { offset: string }).offset), base + BigInt(i));
    if (syncs.length > 0 && flow.emitOffsetSyncs) {
      // A failed sync only makes translation coarser: it must never make the batch be copied again.
      const sent = await (this.#syncProducer as Producer)
        .send({
          topic: flow.policy.offsetSyncsTopic(flow.target),
          acks: -1,
          messages: syncs.map((s) => ({ ...encodeOffsetSync(s), partition: 0 })),
        })
        .then(
          () => true,
          (error: unknown) => {
            this.#failed('offset-syncs', error);
            return false;
          },
        );
      if (sent) {
        for (const s of syncs) {
          this.#syncStore.add(s);
          for (const listener of this.#syncListeners) listener.push(s);
        }
        metrics.inc('mirrorkit_replicator_offset_syncs_total', this.#labels, syncs.length);
      }
    }
    metrics.inc('mirrorkit_replicator_records_total', this.#labels, messages.length);
    metrics.inc('mirrorkit_replicator_bytes_total', this.#labels, bytes);
    if (uncompressedBytes > 0) {
      const codec = { ...this.#labels, codec: this.#o.copyProducer?.codec ?? 'none' };
      metrics.inc('mirrorkit_replicator_compressed_bytes_total', codec, compressedBytes);
      metrics.inc(
        'mirrorkit_replicator_compression_saved_bytes_total',
        codec,
        uncompressedBytes - compressedBytes,
      );
    }
    const last = batch.messages[batch.messages.length - 1];
    if (last) {
      resolveOffset(last.offset);
      metrics.set(
        'mirrorkit_replicator_record_lag',
        { ...this.#labels, topic: batch.topic, partition: batch.partition },
        Math.max(0, Number(batch.highWatermark) - Number(last.offset) - 1),
      );
    }
    this.#lastError = null;
    await commitOffsetsIfNecessary();
    await heartbeat();
  }

  #eosGroup(): string {
    return `${this.#o.groupId}.eos`;
  }

  /** The next source offset to copy for a partition, as committed on the target. */
  async #eosPosition(remote: string, partition: number, key: string): Promise<bigint> {
    const known = this.#eosPositions.get(key);
    if (known !== undefined) return known;
    const [offsets] = await (this.#targetAdmin as Admin).fetchOffsets({
      groupId: this.#eosGroup(),
      topics: [remote],
    });
    const committed = offsets?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
    const position = BigInt(committed) < 0n ? 0n : BigInt(committed);
    this.#eosPositions.set(key, position);
    return position;
  }

  /** One transactional id per source partition: whoever owns the partition now fences the rest. */
  async #txnProducer(key: string): Promise<Producer> {
    let producer = this.#txnProducers.get(key);
    if (!producer) {
      producer = this.#o.target.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        transactionalId: `${this.#o.groupId}.${key.replace('\u0000', '.')}`,
      });
      await producer.connect();
      this.#txnProducers.set(key, producer);
    }
    return producer;
  }

  async #abort(txn: Awaited<ReturnType<Producer['transaction']>>, key: string): Promise<void> {
    await txn.abort().catch(() => undefined);
    // After a failure (or being fenced) start clean: a new producer and the position re-read.
    this.#eosPositions.delete(key);
    const producer = this.#txnProducers.get(key);
    this.#txnProducers.delete(key);
    await producer?.disconnect().catch(() => undefined);
  }

  /** Rebuilds the translation store from the whole offset-syncs topic, in topic order. */
  async #reloadOffsetSyncs(): Promise<void> {
    const { flow, source } = this.#o;
    const store = new OffsetSyncStore();
    // Syncs this process emits while the topic is read go to the old store and here; the read
    // may miss them (its end is fixed when it starts), so they are replayed into the new store.
    const emittedMeanwhile: OffsetSync[] = [];
    this.#syncListeners.add(emittedMeanwhile);
    let skipped = 0;
    for (const record of await readTopicToEnd(source, flow.policy.offsetSyncsTopic(flow.target), {
      timeoutMs: 60_000,
    })) {
      if (!record.key || !record.value) continue;
      try {
        store.add(decodeOffsetSync(record.key, record.value));
      } catch (error) {
        if (!(error instanceof MirrorKitCodecError)) throw error;
        skipped++;
      }
    }
    if (skipped > 0) this.#o.log.warn('skipped undecodable offset syncs', { flow: this.name, skipped });
    this.#syncListeners.delete(emittedMeanwhile);
    for (const sync of emittedMeanwhile) store.add(sync);
    this.#syncStore = store;
  }

  async #emitCheckpoints(): Promise<void> {
    const { flow, source, target } = this.#o;
    const sourceAdmin = this.#sourceAdmin as Admin;
    const topics = this.#subscribed;
    if (topics.length === 0 || this.#owned.size === 0) return;
    const accepts = groupFilter(flow);
    const groups = (await sourceAdmin.listGroups()).groups
      .map((g) => g.groupId)
      .filter(
        (g) =>
          accepts(g) &&
          g !== this.#o.groupId &&
          !g.startsWith(this.#o.groupIdPrefix === undefined ? this.#o.groupId : `${this.#o.groupIdPrefix}.`),
      );
    const checkpoints: Checkpoint[] = [];
    // Remembered as emitted only once the target acknowledged, so a failed send is retried next round.
    const emitted: [string, { upstream: bigint; downstream: bigint; generation: number }][] = [];
    let exactCount = 0;
    for (const groupId of groups) {
      const offsets = await sourceAdmin.fetchOffsets({ groupId, topics });
      for (const { topic, partitions } of offsets) {
        for (const { partition, offset, metadata } of partitions) {
          const key = `${topic}\u0000${partition}`;
          if (Number(offset) < 0 || !this.#owned.has(key)) continue;
          const upstream = BigInt(offset);
          // Exact where this process copied the stretch; MM2's sync-based translation elsewhere.
          const exact = this.#copies.translateDownstream(key, upstream);
          const downstream = exact ?? this.#syncStore.translateDownstream(topic, partition, upstream);
          if (downstream === null) continue;
          const remote = flow.policy.formatRemoteTopic(flow.source, topic);
          const memo = `${groupId}\u0000${remote}\u0000${partition}`;
          // Emit when the checkpoint changes: a new group position, or a finer translation of the
          // same one once replication has caught up with it. Not a coarser one for a group that
          // stayed put (MM2 since 3.5 does not move such a checkpoint back either): the copies the
          // finer one points at are still there once their range is evicted, unless the remote
          // partition started afresh since.
          const last = this.#lastCheckpoints.get(memo);
          const generation = this.#copies.generation(key);
          if (
            last?.upstream === upstream &&
            (downstream === last.downstream ||
              (downstream < last.downstream && generation === last.generation))
          )
            continue;
          emitted.push([memo, { upstream, downstream, generation }]);
          if (exact !== null) exactCount++;
          const checkpoint: Checkpoint = {
            consumerGroupId: groupId,
            topic: remote,
            partition,
            upstreamOffset: upstream,
            downstreamOffset: downstream,
            metadata: metadata ?? '',
          };
          checkpoints.push(checkpoint);
          this.#latest.set(memo, checkpoint);
        }
      }
    }
    if (checkpoints.length > 0) {
      await (this.#producer as Producer).send({
        topic: flow.policy.checkpointsTopic(flow.source),
        acks: -1,
        messages: checkpoints.map((c) => ({ ...encodeCheckpoint(c), partition: 0 })),
      });
      for (const [memo, last] of emitted) this.#lastCheckpoints.set(memo, last);
      this.#o.metrics.inc('mirrorkit_replicator_checkpoints_total', this.#labels, checkpoints.length);
      this.#o.metrics.inc('mirrorkit_replicator_checkpoints_exact_total', this.#labels, exactCount);
    }
    this.#lastCheckpointAt = Date.now();
    // Every round, not only when a checkpoint changed: a group busy on the target earlier may be
    // empty now.
    if (flow.syncGroupOffsets.enabled && this.#latest.size > 0)
      await this.#syncGroupOffsets(target, [...this.#latest.values()]);
    void source;
  }

  /**
   * Commits translated offsets for groups on the target, only while the group has no active
   * members there and only forwards (MM2's sync.group.offsets).
   */
  async #syncGroupOffsets(target: Kafka, checkpoints: readonly Checkpoint[]): Promise<void> {
    const targetAdmin = this.#targetAdmin as Admin;
    const byGroup = new Map<string, Checkpoint[]>();
    for (const c of checkpoints)
      byGroup.set(c.consumerGroupId, [...(byGroup.get(c.consumerGroupId) ?? []), c]);
    const described = await targetAdmin.describeGroups([...byGroup.keys()]);
    for (const group of described.groups) {
      if (group.members.length > 0) continue;
      const mine = byGroup.get(group.groupId) ?? [];
      const current = await targetAdmin.fetchOffsets({
        groupId: group.groupId,
        topics: [...new Set(mine.map((c) => c.topic))],
      });
      const have = new Map(
        current.flatMap((t) =>
          t.partitions.map((p) => [`${t.topic}\u0000${p.partition}`, BigInt(p.offset)] as const),
        ),
      );
      const forward = mine.filter(
        (c) => c.downstreamOffset > (have.get(`${c.topic}\u0000${c.partition}`) ?? -1n),
      );
      if (forward.length === 0) continue;
      await commitGroupOffsets(
        target,
        group.groupId,
        forward.map((c) => ({ topic: c.topic, partition: c.partition, offset: c.downstreamOffset })),
      ).catch((error: unknown) => this.#failed('sync-group-offsets', error));
    }
  }

  /** Sleeps while this flow has not joined, for callers waiting on readiness. */
  async waitReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#joined && Date.now() < deadline) await sleep(50);
    return this.#joined;
  }
}
