import {
  type Checkpoint,
  type CopyProducerSettings,
  encodeCheckpoint,
  encodeOffsetSync,
  ensureInternalTopic,
  type FlowConfig,
} from '@mirrorkit/core';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { CopiedOffsets } from './copied-offsets.js';
import { CheckpointWriter } from './flow/checkpoint-writer.js';
import { CopyLoop, selectionKey } from './flow/copy-loop.js';
import { FlowScheduler } from './flow/flow-scheduler.js';
import { syncGroupOffsets } from './flow/group-offset-sync.js';
import { OffsetSyncHistory } from './flow/offset-sync-history.js';
import { OffsetSyncWriter } from './flow/offset-sync-writer.js';
import { TopicSync } from './flow/topic-sync.js';
import type { FlowStatus } from './flow-status.js';
import type { ReplicatorLogger } from './logger.js';
import type { ReplicatorMetrics } from './metrics.js';
import { MirrorKitReplicatorError } from './replicator-error.js';
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

/** How often syncs that were not due yet (each partition's latest copy) are written, ms. */
const DELAYED_SYNC_PROMOTION_MS = 10_000;
/** How long a stop waits for offset syncs still in flight, ms. */
const SYNC_FLUSH_ON_STOP_MS = 2000;

const sleep = (ms: number): Promise<void> => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/**
 * Replicates one flow `source->target` the way MM2's connectors do, with the same names and
 * records, one module per MM2 job: {@link TopicSync} (remote topics, partitions and configs),
 * {@link CopyLoop} (every record to the same partition in order, exactly-once optionally),
 * {@link OffsetSyncWriter} (offset syncs on the source), {@link CheckpointWriter} and group offset
 * sync (on the target); heartbeats run beside the flows. Partitions are shared with other processes
 * through the consumer group `groupId`; each process checkpoints the partitions it owns.
 */
export class FlowReplicator {
  readonly #o: FlowReplicatorOptions;
  readonly #labels: { flow: string };
  readonly #scheduler: FlowScheduler;
  readonly #history = new OffsetSyncHistory();
  /** Where this process copied what, for exact checkpoints; the offset syncs cover the rest. */
  readonly #copies = new CopiedOffsets();
  readonly #syncs: OffsetSyncWriter;
  #sourceAdmin: Admin | null = null;
  #targetAdmin: Admin | null = null;
  #syncProducer: Producer | null = null;
  #loop: CopyLoop | null = null;
  #checkpoints: CheckpointWriter | null = null;
  /** Replicated source topics and their partition counts. */
  #topics = new Map<string, number>();
  #lastError: string | null = null;
  #lastCheckpointAt = 0;

  constructor(options: FlowReplicatorOptions) {
    this.#o = options;
    this.#labels = { flow: `${options.flow.source}->${options.flow.target}` };
    this.#scheduler = new FlowScheduler((what, error) => this.#failed(what, error));
    this.#syncs = new OffsetSyncWriter({
      offsetLagMax: options.flow.offsetLagMax,
      send: async (syncs) => {
        await (this.#syncProducer as Producer).send({
          topic: options.flow.policy.offsetSyncsTopic(options.flow.target),
          acks: -1,
          messages: syncs.map((s) => ({ ...encodeOffsetSync(s), partition: 0 })),
        });
      },
      onWritten: (syncs) => {
        this.#history.add(syncs);
        this.#o.metrics.inc('mirrorkit_replicator_offset_syncs_total', this.#labels, syncs.length);
      },
      // A failed sync only makes translation coarser: it never makes a batch be copied again.
      onError: (error) => this.#failed('offset-syncs', error),
    });
  }

  /** `source->target`. */
  get name(): string {
    return this.#labels.flow;
  }

  /** True once the copy consumer has joined its group and the topics were synced once. */
  get ready(): boolean {
    return this.#loop?.joined ?? false;
  }

  /** The last error of any loop, cleared by the next success; null when healthy. */
  get lastError(): string | null {
    // A stopped partition keeps the flow unhealthy even while its other partitions copy fine.
    return this.#loop?.stopError ?? this.#lastError;
  }

  /** Source topics replicated now. */
  get topics(): string[] {
    return [...this.#topics.keys()].sort();
  }

  /** What this flow says about itself to `/healthz`, `/metrics` and `Replicator.health()`. */
  status(): FlowStatus {
    const loop = this.#loop;
    const running = loop?.running ?? false;
    return {
      flow: this.name,
      ready: this.ready,
      state: running ? 'running' : this.ready ? 'restarting' : 'starting',
      downSince: running ? null : (loop?.downSince ?? Date.now()),
      lastError: this.lastError,
      stoppedPartitions: loop?.stoppedPartitions ?? [],
      skippedRecords: loop?.skippedRecords ?? 0,
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
    const sourceAdmin = source.admin();
    const targetAdmin = target.admin();
    this.#sourceAdmin = sourceAdmin;
    this.#targetAdmin = targetAdmin;
    // One at a time, so the error names the cluster that cannot be reached.
    for (const [role, alias, admin] of [
      ['source', flow.source, sourceAdmin],
      ['target', flow.target, targetAdmin],
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
    const loop = new CopyLoop({
      flow,
      labels: this.#labels,
      source,
      target,
      targetAdmin,
      groupId: this.#o.groupId,
      metrics: this.#o.metrics,
      log: this.#o.log,
      exactlyOnce: this.#o.exactlyOnce ?? false,
      copyProducer: this.#o.copyProducer,
      syncs: this.#syncs,
      copies: this.#copies,
      scheduler: this.#scheduler,
      selection: () => this.#topics,
      failed: (what, error) => this.#failed(what, error),
      succeeded: () => {
        this.#lastError = null;
      },
      // A new owner continues partitions another process synced: pick up its offset syncs.
      joined: () =>
        void this.#reloadOffsetSyncs().catch((error: unknown) => this.#failed('offset-syncs', error)),
    });
    this.#loop = loop;
    this.#syncProducer = source.producer({ idempotent: true });
    await Promise.all([loop.connect(), this.#syncProducer.connect()]);
    await ensureInternalTopic(
      sourceAdmin,
      flow.policy.offsetSyncsTopic(flow.target),
      flow.offsetSyncsTopicReplicationFactor,
    );
    await ensureInternalTopic(
      targetAdmin,
      flow.policy.checkpointsTopic(flow.source),
      flow.checkpointsTopicReplicationFactor,
    );
    this.#checkpoints = this.#checkpointWriter(sourceAdmin);
    await this.#reloadOffsetSyncs();
    await hooks
      .ensureSourceHeartbeatsTopic?.()
      .catch((error: unknown) => this.#failed('heartbeats-topic', error));
    const topicSync = new TopicSync(flow, sourceAdmin, targetAdmin, this.#o.log, this.name);
    this.#topics = await topicSync.sync();
    await loop.restart();
    // The full re-sync and the watch's re-syncs run one at a time: two at once would both create
    // the same remote topic, or restart the consumer twice.
    let refreshing: Promise<void> = Promise.resolve();
    const refresh = (): Promise<void> => {
      const run = refreshing.then(async () => {
        this.#topics = await topicSync.sync();
        // Compared with what the consumer runs on, so a restart that failed is tried again.
        if (selectionKey(this.#topics) !== loop.runningOn) await loop.restart({ ifNeeded: true });
      });
      refreshing = run.catch(() => undefined);
      return run;
    };
    const scheduler = this.#scheduler;
    scheduler.every(
      flow.refreshTopics.enabled ? flow.refreshTopics.intervalSeconds : 0,
      'refresh-topics',
      refresh,
    );
    // Between full re-syncs: one metadata request, and a re-sync only when the selected topics or
    // their partition counts changed (or the consumer does not run on the current selection).
    scheduler.every(topicWatchIntervalSeconds(flow), 'watch-topics', async () => {
      const seen = await selectedTopics(sourceAdmin, flow);
      const changed = !sameSelection(seen, this.#topics);
      const behind = !loop.restarting && selectionKey(this.#topics) !== loop.runningOn;
      if (!changed && !behind) return;
      if (changed) this.#o.log.info('source topics changed; syncing', { flow: this.name, topics: seen.size });
      await refresh();
    });
    if (flow.emitCheckpoints.enabled)
      scheduler.every(flow.emitCheckpoints.intervalSeconds, 'checkpoints', () => this.#emitCheckpoints());
    if (flow.emitOffsetSyncs)
      scheduler.every(DELAYED_SYNC_PROMOTION_MS / 1000, 'offset-syncs', async () => {
        this.#syncs.promoteDelayed();
        this.#syncs.fire();
      });
    scheduler.every(1, 'gauges', async () => {
      const { metrics } = this.#o;
      if (this.#lastCheckpointAt > 0)
        metrics.set(
          'mirrorkit_replicator_checkpoint_age_seconds',
          this.#labels,
          (Date.now() - this.#lastCheckpointAt) / 1000,
        );
      metrics.set('mirrorkit_replicator_stopped_partitions', this.#labels, loop.stoppedPartitions.length);
    });
  }

  async stop(): Promise<void> {
    this.#scheduler.stop();
    await this.#loop?.stop();
    // The last position of each partition goes out too, so translation is exact up to the stop.
    if (this.#o.flow.emitOffsetSyncs) await this.#syncs.flush(SYNC_FLUSH_ON_STOP_MS);
    await Promise.all([
      this.#syncProducer?.disconnect(),
      this.#sourceAdmin?.disconnect(),
      this.#targetAdmin?.disconnect(),
    ]).catch(() => undefined);
  }

  #failed(what: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#lastError = `${what}: ${message}`;
    this.#o.metrics.inc('mirrorkit_replicator_errors_total', { ...this.#labels, kind: what });
    this.#o.log.warn('replication step failed; retrying', { flow: this.name, step: what, error: message });
  }

  async #reloadOffsetSyncs(): Promise<void> {
    const { flow, source } = this.#o;
    const skipped = await this.#history.reload(source, flow.policy.offsetSyncsTopic(flow.target));
    if (skipped > 0) this.#o.log.warn('skipped undecodable offset syncs', { flow: this.name, skipped });
  }

  #checkpointWriter(sourceAdmin: Admin): CheckpointWriter {
    const { flow, groupId, groupIdPrefix } = this.#o;
    const ownPrefix = groupIdPrefix === undefined ? groupId : `${groupIdPrefix}.`;
    return new CheckpointWriter({
      flow,
      isOwnGroup: (g) => g === groupId || g.startsWith(ownPrefix),
      listGroups: async () => (await sourceAdmin.listGroups()).groups.map((g) => g.groupId),
      fetchOffsets: (g, topics) => sourceAdmin.fetchOffsets({ groupId: g, topics: [...topics] }),
      translate: (key, topic, partition, upstream) => {
        // Exact where this process copied the stretch; MM2's sync-based translation elsewhere.
        const exact = this.#copies.translateDownstream(key, upstream);
        if (exact !== null) return { downstream: exact, exact: true };
        const synced = this.#history.store.translateDownstream(topic, partition, upstream);
        return synced === null ? null : { downstream: synced, exact: false };
      },
      generation: (key) => this.#copies.generation(key),
      send: async (checkpoints: readonly Checkpoint[]) => {
        await (this.#loop as CopyLoop).producer.send({
          topic: flow.policy.checkpointsTopic(flow.source),
          acks: -1,
          messages: checkpoints.map((c) => ({ ...encodeCheckpoint(c), partition: 0 })),
        });
      },
    });
  }

  async #emitCheckpoints(): Promise<void> {
    const loop = this.#loop as CopyLoop;
    const { written, exact } = await (this.#checkpoints as CheckpointWriter).emit(
      loop.owned,
      loop.subscribed,
    );
    if (written > 0) {
      this.#o.metrics.inc('mirrorkit_replicator_checkpoints_total', this.#labels, written);
      this.#o.metrics.inc('mirrorkit_replicator_checkpoints_exact_total', this.#labels, exact);
    }
    this.#lastCheckpointAt = Date.now();
    // Every round, not only when a checkpoint changed: a group busy on the target earlier may be
    // empty now.
    const latest = (this.#checkpoints as CheckpointWriter).latest;
    if (this.#o.flow.syncGroupOffsets.enabled && latest.length > 0)
      await syncGroupOffsets(this.#o.target, this.#targetAdmin as Admin, latest, (error) =>
        this.#failed('sync-group-offsets', error),
      );
  }

  /** Sleeps while this flow has not joined, for callers waiting on readiness. */
  async waitReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ready && Date.now() < deadline) await sleep(50);
    return this.ready;
  }
}
