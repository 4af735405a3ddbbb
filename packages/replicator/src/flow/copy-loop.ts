import {
  type CopyProducerSettings,
  type FlowConfig,
  observeCompression,
  UndecodablePartitionHold,
} from '@mirrorkit/core';
import kafkajs, {
  type Admin,
  type CompressionTypes as CompressionType,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type Producer,
  type RecordMetadata,
  type Sender,
  type Transaction,
} from 'kafkajs';
import type { CopiedOffsets } from '../copied-offsets.js';
import type { StoppedPartition } from '../flow-status.js';
import type { ReplicatorLogger } from '../logger.js';
import type { ReplicatorMetrics } from '../metrics.js';
import { MirrorKitReplicatorRecordError } from '../replicator-error.js';
import { RestartBackoff } from '../restart-backoff.js';
import { DeadLetterTopic, deadLetterMessage } from './dead-letter-writer.js';
import { ExactlyOnceWriter } from './exactly-once-writer.js';
import type { FlowScheduler } from './flow-scheduler.js';
import type { OffsetSyncWriter } from './offset-sync-writer.js';
import { PartitionStops } from './partition-stops.js';
import { produceErrorKind, protocolErrorType } from './produce-error-kind.js';
import { chunkEnd, recordBytes, type SourceRecord } from './record-chunks.js';
import { type PartitionSend, SendCoalescer } from './send-coalescer.js';

/** Source partitions one copy loop copies at once. */
export const PARTITIONS_COPIED_CONCURRENTLY = 8;

// kafkajs is CommonJS; Node's ESM loader cannot see CompressionTypes as a named export.
const { CompressionTypes } = kafkajs;

/** Options of {@link CopyLoop}. */
export interface CopyLoopOptions {
  readonly flow: FlowConfig;
  readonly labels: { readonly flow: string };
  readonly source: Kafka;
  readonly target: Kafka;
  readonly targetAdmin: Admin;
  /** The consumer group on the source that spreads partitions over replicator processes. */
  readonly groupId: string;
  readonly metrics: ReplicatorMetrics;
  readonly log: ReplicatorLogger;
  readonly exactlyOnce: boolean;
  readonly copyProducer: CopyProducerSettings | undefined;
  readonly syncs: OffsetSyncWriter;
  readonly copies: CopiedOffsets;
  readonly scheduler: FlowScheduler;
  /** The topics (and partition counts) the loop should run on now, for restarts. */
  readonly selection: () => ReadonlyMap<string, number>;
  /** Reports a failing step (log, metric, `lastError`). */
  readonly failed: (what: string, error: unknown) => void;
  /** A batch went through: clears the flow's last error. */
  readonly succeeded: () => void;
  /** The consumer (re)joined its group with a new assignment. */
  readonly joined: () => void;
}

/** A stable text for a selection, to tell whether the consumer runs on the current one. */
export function selectionKey(topics: ReadonlyMap<string, number>): string {
  return [...topics]
    .map(([t, n]) => `${t}:${n}`)
    .sort()
    .join(',');
}

/** Copies acknowledged by the target, each contiguous from its base offset. */
interface Landed {
  readonly records: readonly SourceRecord[];
  readonly base: bigint;
  readonly ackedAt: number;
}

/**
 * MM2's source task for one flow: a consumer in the replication group copies every record of its
 * partitions to the same partition of the remote topic, in order, in chunks under the broker's
 * request limit, and resolves each chunk once the target acknowledged it (so a failure later in
 * the batch never sends it again). A crashed consumer is restarted with backoff, never left dead.
 * A record the target refuses for good is isolated (the chunk is halved until it is found) and
 * handled by `errors.tolerance`: `none` stops its partition there and reports it, the others go on;
 * `all` skips it, logs and counts it, and writes it to the dead letter queue when one is set.
 */
export class CopyLoop {
  readonly #o: CopyLoopOptions;
  #consumer: Consumer | null = null;
  #producer: Producer | null = null;
  #subscribed: string[] = [];
  /** The selection the consumer runs on; '' while it does not run. */
  #running = '';
  #owned = new Set<string>();
  #joined = false;
  #stopping = false;
  #restarting: Promise<void> | null = null;
  /** Since when the loop has not been running; null while it runs. */
  #downSince: number | null = Date.now();
  #skipped = 0;
  /** The commit of resolved offsets in flight, if any: one at a time for the whole consumer. */
  #committing: Promise<void> | null = null;
  readonly #backoff = new RestartBackoff();
  readonly #eos: ExactlyOnceWriter | null;
  readonly #stops = new PartitionStops();
  readonly #deadLetters: DeadLetterTopic | null;
  readonly #compression: CompressionType;
  /** Labels of the compression counters, made once: every send reports to them. */
  readonly #codecLabels: { readonly flow: string; readonly codec: string };
  /** Counts what the codec did with each send's records. */
  readonly #observeCodec = (o: { compressedBytes: number; uncompressedBytes: number }): void => {
    this.#o.metrics.inc('mirrorkit_replicator_compressed_bytes_total', this.#codecLabels, o.compressedBytes);
    this.#o.metrics.inc(
      'mirrorkit_replicator_compression_saved_bytes_total',
      this.#codecLabels,
      o.uncompressedBytes - o.compressedBytes,
    );
  };
  /** Copies outside exactly-once: the partitions' chunks of a moment go in one request. */
  readonly #coalescer = new SendCoalescer((topicMessages) =>
    observeCompression(this.#observeCodec, () =>
      // The producer of the moment: a broken one is replaced while chunks wait for their turn.
      this.producer.sendBatch({ acks: -1, compression: this.#compression, topicMessages }),
    ),
  );
  /** When each held partition was first held, for {@link stoppedPartitions}. */
  readonly #heldSince = new WeakMap<object, number>();
  // A source batch that does not decode holds its partition (never copied past, reported as a
  // failing step, fetched again later); the flow's other partitions go on being copied.
  readonly #hold = new UndecodablePartitionHold({
    onHeld: (error) => {
      if (!this.#heldSince.has(error)) this.#heldSince.set(error, Date.now());
      this.#o.failed('copy', error);
    },
  });

  constructor(options: CopyLoopOptions) {
    this.#o = options;
    this.#compression = options.copyProducer?.compression ?? CompressionTypes.None;
    this.#codecLabels = { ...options.labels, codec: options.copyProducer?.codec ?? 'none' };
    this.#eos = options.exactlyOnce
      ? new ExactlyOnceWriter(options.target, options.targetAdmin, options.groupId)
      : null;
    const dlq = options.flow.errors.deadLetterQueue;
    this.#deadLetters =
      dlq && options.flow.errors.tolerance === 'all' ? new DeadLetterTopic(dlq, options.targetAdmin) : null;
  }

  get #name(): string {
    return this.#o.labels.flow;
  }

  /** Source partitions this process owns in the replication group. */
  get owned(): ReadonlySet<string> {
    return this.#owned;
  }

  /** Source topics the consumer was started on. */
  get subscribed(): readonly string[] {
    return this.#subscribed;
  }

  /** The selection the consumer runs on (see {@link selectionKey}); '' while it does not run. */
  get runningOn(): string {
    return this.#running;
  }

  get restarting(): boolean {
    return this.#restarting !== null;
  }

  get joined(): boolean {
    return this.#joined;
  }

  get running(): boolean {
    return this.#running !== '' && this.#restarting === null && this.#downSince === null;
  }

  get downSince(): number | null {
    return this.#downSince;
  }

  /** Records skipped under `errors.tolerance = all` since start. */
  get skippedRecords(): number {
    return this.#skipped;
  }

  /** Partitions stopped on an undecodable batch or a record the target refuses. */
  get stoppedPartitions(): StoppedPartition[] {
    const held: StoppedPartition[] = this.#hold.held.map((error) => ({
      topic: error.topic,
      partition: error.partition,
      offset: error.offset.toString(),
      code: error.code,
      error: error.message,
      since: this.#heldSince.get(error) ?? Date.now(),
    }));
    return [...held, ...this.#stops.stopped];
  }

  /** What makes the flow unhealthy while other partitions copy fine, if anything. */
  get stopError(): string | null {
    const stopped = this.stoppedPartitions[0];
    return stopped ? `copy: ${stopped.error}` : null;
  }

  async connect(): Promise<void> {
    this.#producer = this.#newProducer();
    await this.#producer.connect();
  }

  /**
   * Starts (or restarts, after the topics or their partitions changed, or a crash) the copy
   * consumer. Restarts run one at a time: one asked for while another runs waits for it, and with
   * `ifNeeded` is dropped when that one left the consumer running on the current selection. Two at
   * once would leave two consumers of this process in the group, the first one never stopped.
   */
  restart(options: { readonly ifNeeded?: boolean } = {}): Promise<void> {
    const prior = this.#restarting;
    const run = (async () => {
      if (prior) await prior.catch(() => undefined);
      if (this.#stopping) return;
      if (options.ifNeeded && this.#consumer && this.#running === selectionKey(this.#o.selection())) return;
      await this.#start();
    })();
    this.#restarting = run;
    return run.finally(() => {
      if (this.#restarting === run) this.#restarting = null;
    });
  }

  async #start(): Promise<void> {
    const selection = this.#o.selection();
    const topics = [...selection.keys()];
    const wanted = selectionKey(selection);
    this.#running = '';
    this.#downSince ??= Date.now();
    this.#o.log.info('starting copy consumer', { flow: this.#name, topics: wanted });
    if (this.#consumer) {
      await this.#consumer.disconnect().catch(() => undefined);
      this.#consumer = null;
      // A fresh producer: kafkajs's cached metadata would not know partitions added just now.
      await this.#replaceProducer();
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
      this.#o.copies.retain(this.#owned);
      this.#stops.retain(this.#owned);
      this.#eos?.reset();
      this.#o.log.info('copy consumer joined', { flow: this.#name, partitions: this.#owned.size });
      this.#o.joined();
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.#o.failed('copy', event.payload.error);
      if (!this.#stopping) this.#downSince ??= Date.now();
      // kafkajs gives up on errors it deems not retriable: the flow must not stop copying for
      // good, so it starts a new consumer (from the committed positions) a little later.
      if (event.payload.restart || this.#stopping) return;
      this.#scheduleRestart(consumer, event.payload.error);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
    } catch (error) {
      // Not left connected and unowned: a consumer no one stops would stay in the group.
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    this.#consumer = consumer;
    this.#hold.clear();
    this.#stops.clear();
    await this.#hold.run(consumer, {
      // Partitions are copied side by side (each one batch at a time, its chunks awaited in order,
      // so order within a partition holds): one after another, every fetch waited for one acks -1
      // round trip per partition in a row, which is where the sidecar's median latency went.
      partitionsConsumedConcurrently: PARTITIONS_COPIED_CONCURRENTLY,
      eachBatchAutoResolve: false,
      autoCommitInterval: 1000,
      eachBatch: (payload) => this.#copy(payload),
    });
    this.#running = wanted;
    this.#downSince = null;
    this.#backoff.healthy(Date.now());
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#hold.clear();
    this.#stops.clear();
    await this.#restarting?.catch(() => undefined);
    // Disconnecting the consumer commits what was resolved (every record acknowledged by the
    // target) and leaves the group, so the others take over at once.
    await this.#consumer?.disconnect().catch(() => undefined);
    await this.#eos?.stop();
    await this.#producer?.disconnect().catch(() => undefined);
  }

  /** The producer copies (and dead letters, outside exactly-once) are written with. */
  get producer(): Producer {
    return this.#producer as Producer;
  }

  #newProducer(): Producer {
    // No maxInFlightRequests bound: it is per connection, so 1 would queue the partitions' sends
    // behind each other again; order within a partition needs one send in flight for it, and each
    // chunk's send is awaited before the next.
    return this.#o.target.producer({ idempotent: true });
  }

  async #replaceProducer(): Promise<void> {
    const old = this.#producer;
    this.#producer = this.#newProducer();
    await old?.disconnect().catch(() => undefined);
    await this.#producer.connect();
  }

  /**
   * Restarts the copy loop (new consumer and producer; exactly-once positions re-read on join)
   * after a crash kafkajs will not recover from, with backoff, until it runs again: never a loop
   * that gives up.
   */
  #scheduleRestart(crashed: Consumer, error: unknown): void {
    const delay = this.#backoff.crashed(Date.now());
    this.#o.metrics.inc('mirrorkit_replicator_restarts_total', this.#o.labels);
    this.#o.log.error('copy loop crashed; restarting', {
      flow: this.#name,
      error: error instanceof Error ? error.message : String(error),
      delayMs: delay,
    });
    this.#o.scheduler.after(delay, async () => {
      // Another restart (a topic change) may have brought a consumer up meanwhile.
      if (this.#stopping || (this.#consumer !== crashed && this.#consumer !== null)) return;
      this.#eos?.forgetPositions();
      await this.restart().catch((restartError: unknown) => {
        this.#o.failed('copy', restartError);
        // The crashed consumer is gone by now; no consumer at all is just as down.
        if (!this.#stopping && (this.#consumer === null || this.#consumer === crashed))
          this.#scheduleRestart(crashed, restartError);
      });
    });
  }

  async #copy(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const { flow } = this.#o;
    const key = `${batch.topic}\u0000${batch.partition}`;
    // Fetched before the pause took effect: the partition waits at its refused record.
    if (this.#stops.has(key)) return;
    const remote = flow.policy.formatRemoteTopic(flow.source, batch.topic);
    let records: readonly SourceRecord[] = batch.messages;
    let txn: Transaction | null = null;
    if (this.#eos) {
      // Fence first: initialising the partition's transactional id aborts a transaction a previous
      // owner left open, whose pending offset commit would otherwise keep the position unstable.
      const producer = await this.#eos.fence(key);
      const position = await this.#eos.position(remote, batch.partition, key);
      // Records below the position were written (and committed) by an earlier transaction.
      records = records.filter((m) => BigInt(m.offset) >= position);
      if (records.length === 0) {
        const skippedTo = batch.messages[batch.messages.length - 1];
        if (skippedTo) resolveOffset(skippedTo.offset);
        await heartbeat();
        return;
      }
      txn = await producer.transaction();
    }
    const sender: Sender = txn ?? this.producer;
    // In a transaction the records go with its offsets, through its producer of their own (each
    // message names its partition).
    const transaction = txn;
    const send: PartitionSend = transaction
      ? (topic, _partition, messages) =>
          observeCompression(this.#observeCodec, () =>
            transaction.send({ topic, acks: -1, compression: this.#compression, messages }),
          )
      : this.#coalescer.send;
    const landed: Landed[] = [];
    /** Index of the record the partition stopped at, if it stopped. */
    let stoppedAt: number | null = null;
    let from = 0;
    try {
      while (from < records.length) {
        const to = chunkEnd(records, from);
        let outcome: { landed: number; rejection: unknown };
        try {
          outcome = await this.#write(send, remote, batch.partition, records.slice(from, to), (part) => {
            landed.push(part);
            // Resolved chunk by chunk: a failure later in the batch does not send this chunk again.
            if (!txn) {
              this.#settle(batch.topic, batch.partition, key, [part], resolveOffset);
              this.#o.syncs.fire();
            }
          });
        } catch (error) {
          if (produceErrorKind(error) !== 'partition') throw error;
          this.#stop(
            batch.topic,
            batch.partition,
            records[from] as SourceRecord,
            error,
            'REPLICATOR_TOPIC_REFUSED',
          );
          stoppedAt = from;
          break;
        }
        if (outcome.rejection === null) {
          from = to;
          continue;
        }
        const at = from + outcome.landed;
        const record = records[at] as SourceRecord;
        if (flow.errors.tolerance === 'none') {
          this.#stop(batch.topic, batch.partition, record, outcome.rejection, 'REPLICATOR_RECORD_REJECTED');
          stoppedAt = at;
          break;
        }
        await this.#skip(sender, batch.topic, batch.partition, record, outcome.rejection);
        if (!txn) resolveOffset(record.offset);
        from = at + 1;
      }
      if (txn && this.#eos) {
        const end = stoppedAt ?? records.length;
        if (end === 0) {
          // Stopped at its first record: nothing to commit; the position stays where it is.
          await txn.abort();
        } else {
          const last = records[end - 1] as SourceRecord;
          // The source position goes to the target in the same transaction as the records.
          await this.#eos.commit(txn, remote, batch.partition, key, BigInt(last.offset) + 1n);
          // Only now, once the copies are there for good (an aborted transaction leaves its copies
          // unreadable), are they known as copied and synced.
          this.#settle(batch.topic, batch.partition, key, landed, resolveOffset);
          resolveOffset(last.offset);
        }
      }
    } catch (error) {
      this.#o.failed('copy', error);
      if (txn && this.#eos) await this.#eos.abort(txn, key);
      else if (produceErrorKind(error) === 'producer') {
        // Its sequence or epoch state is broken for good: a new producer, then kafkajs copies the
        // batch again from the last resolved chunk.
        this.#o.log.warn('copy producer state broken; replacing it', {
          flow: this.#name,
          error: String(error),
        });
        await this.#replaceProducer().catch(() => undefined);
      }
      // kafkajs retries the batch from the last resolved offset, so nothing is lost.
      throw error;
    }
    this.#o.syncs.fire();
    if (stoppedAt === null) {
      const last = batch.messages[batch.messages.length - 1];
      if (last) {
        resolveOffset(last.offset);
        this.#o.metrics.set(
          'mirrorkit_replicator_record_lag',
          { ...this.#o.labels, topic: batch.topic, partition: batch.partition },
          Math.max(0, Number(batch.highWatermark) - Number(last.offset) - 1),
        );
      }
      this.#o.succeeded();
    }
    await this.#commitResolved(payload);
    await heartbeat();
  }

  /**
   * Commits every offset resolved so far (each one acknowledged by the target), as kafkajs does
   * after each batch, but once for the partitions whose batches end together. kafkajs commits all
   * uncommitted offsets after every batch, and the partitions of a fetch end together since their
   * chunks go in one request: each of them sent the same OffsetCommit, one after another, and the
   * next fetch waited for the last. A batch that ends while a commit is in flight waits for it and
   * commits what is still uncommitted after it; kafkajs's own commit then finds nothing left.
   */
  async #commitResolved(payload: EachBatchPayload): Promise<void> {
    while (this.#committing) await this.#committing.catch(() => undefined);
    const { topics } = payload.uncommittedOffsets();
    if (topics.length === 0) return;
    const run = payload.commitOffsetsIfNecessary({ topics }).finally(() => {
      if (this.#committing === run) this.#committing = null;
    });
    this.#committing = run;
    await run;
  }

  /**
   * Sends `chunk` to `remote`'s `partition`; when the target refuses records of it for good, halves
   * it until the refused record is found. Returns how many records landed from the chunk's start
   * (each landed part reported through `onLanded` in order) and, if one was refused, why: it is
   * the record right after them. Any other failure is thrown.
   */
  async #write(
    send: PartitionSend,
    remote: string,
    partition: number,
    chunk: readonly SourceRecord[],
    onLanded: (part: Landed) => void,
  ): Promise<{ landed: number; rejection: unknown }> {
    let metadata: RecordMetadata[];
    try {
      metadata = await send(
        remote,
        partition,
        chunk.map((m) => ({
          key: m.key,
          value: m.value,
          headers: m.headers as Record<string, Buffer>,
          timestamp: m.timestamp,
          partition,
        })),
      );
    } catch (error) {
      if (produceErrorKind(error) !== 'record') throw error;
      if (chunk.length === 1) return { landed: 0, rejection: error };
      const half = Math.ceil(chunk.length / 2);
      const left = await this.#write(send, remote, partition, chunk.slice(0, half), onLanded);
      if (left.rejection !== null) return left;
      const right = await this.#write(send, remote, partition, chunk.slice(half), onLanded);
      return { landed: half + right.landed, rejection: right.rejection };
    }
    // Offsets of one idempotent send to one partition are contiguous from its base offset.
    onLanded({ records: chunk, base: BigInt(metadata[0]?.baseOffset ?? '-1'), ackedAt: Date.now() });
    return { landed: chunk.length, rejection: null };
  }

  /** Copies known to be on the target for good: remembered, synced, counted, resolved. */
  #settle(
    topic: string,
    partition: number,
    key: string,
    parts: readonly Landed[],
    resolveOffset: (offset: string) => void,
  ): void {
    const { metrics, labels } = this.#o;
    // Only for an owned partition, so what is kept stays bounded by the assignment.
    const owned = this.#owned.has(key);
    for (const { records, base, ackedAt } of parts) {
      let bytes = 0;
      records.forEach((m, i) => {
        const upstream = BigInt(m.offset);
        bytes += recordBytes(m);
        metrics.observeLatency(labels, Math.max(0, ackedAt - Number(m.timestamp)));
        if (base < 0n) return;
        const downstream = base + BigInt(i);
        if (owned) this.#o.copies.record(key, upstream, downstream);
        if (this.#o.flow.emitOffsetSyncs) this.#o.syncs.queue(topic, partition, upstream, downstream);
      });
      metrics.inc('mirrorkit_replicator_records_total', labels, records.length);
      metrics.inc('mirrorkit_replicator_bytes_total', labels, bytes);
      const last = records[records.length - 1];
      if (last && !this.#eos) resolveOffset(last.offset);
    }
  }

  #recordError(
    code: 'REPLICATOR_RECORD_REJECTED' | 'REPLICATOR_TOPIC_REFUSED',
    topic: string,
    partition: number,
    record: SourceRecord,
    error: unknown,
  ): MirrorKitReplicatorRecordError {
    return new MirrorKitReplicatorRecordError(
      code,
      topic,
      partition,
      BigInt(record.offset),
      protocolErrorType(error) ?? 'UNKNOWN',
      error instanceof Error ? error.message : String(error),
    );
  }

  /** Stops the partition at `record`: paused there, reported, tried again later. */
  #stop(
    topic: string,
    partition: number,
    record: SourceRecord,
    error: unknown,
    code: 'REPLICATOR_RECORD_REJECTED' | 'REPLICATOR_TOPIC_REFUSED',
  ): void {
    const stopError = this.#recordError(code, topic, partition, record, error);
    const consumer = this.#consumer;
    if (!consumer) return;
    const isNew = this.#stops.stop(consumer, {
      topic,
      partition,
      offset: record.offset,
      code: stopError.brokerError,
      error: stopError.message,
    });
    if (!isNew) return;
    this.#o.metrics.set(
      'mirrorkit_replicator_stopped_partitions',
      this.#o.labels,
      this.stoppedPartitions.length,
    );
    this.#o.metrics.inc('mirrorkit_replicator_errors_total', {
      ...this.#o.labels,
      kind: 'stopped-partition',
    });
    this.#o.log.error('partition stopped at a record the target refuses', {
      flow: this.#name,
      topic,
      partition,
      offset: record.offset,
      error: stopError.brokerError,
      tolerance: this.#o.flow.errors.tolerance,
      detail: stopError.message,
    });
  }

  /** errors.tolerance = all: the record is skipped, logged, counted and sent to the dead letter queue. */
  async #skip(
    sender: Sender,
    topic: string,
    partition: number,
    record: SourceRecord,
    error: unknown,
  ): Promise<void> {
    const rejected = this.#recordError('REPLICATOR_RECORD_REJECTED', topic, partition, record, error);
    const dlq = this.#deadLetters;
    let letter = false;
    if (dlq) {
      await dlq.ensure();
      try {
        await sender.send({
          topic: dlq.config.topic,
          acks: -1,
          messages: [
            deadLetterMessage(
              record,
              {
                topic,
                partition,
                flow: this.#name,
                brokerError: rejected.brokerError,
                message: rejected.message,
              },
              dlq.config.contextHeaders,
              Date.now(),
            ),
          ],
        });
        letter = true;
        this.#o.metrics.inc('mirrorkit_replicator_dead_letters_total', this.#o.labels);
      } catch (dlqError) {
        // The letter itself is refused for good (too large for the target, say): the record is
        // skipped without one, loudly. Anything else is retried with the batch: nothing is skipped
        // while the dead letter queue is merely unavailable.
        if (produceErrorKind(dlqError) !== 'record') throw dlqError;
        this.#o.failed('dead-letter', dlqError);
      }
    }
    this.#skipped++;
    this.#o.metrics.inc('mirrorkit_replicator_skipped_records_total', { ...this.#o.labels, topic });
    this.#o.log.warn('skipped a record the target refuses (errors.tolerance = all)', {
      flow: this.#name,
      topic,
      partition,
      offset: record.offset,
      error: rejected.brokerError,
      detail: rejected.message,
      ...(dlq ? { deadLetterTopic: dlq.config.topic, deadLetterWritten: letter } : {}),
    });
  }
}
