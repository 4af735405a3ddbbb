// The bench's own consume -> produce loops, the yardsticks the sidecar is held against: each copies
// every record of `topics` on the source to `us-east.<topic>` on the target, same partition, acks
// -1, idempotent, as the sidecar's copy loop does, and nothing more (no offset syncs, checkpoints,
// metrics). One with kafkajs (the limit of a kafkajs pipeline), one with @platformatic/kafka.
import { Consumer as PlatformaticConsumer, Producer as PlatformaticProducer } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';

/** A running copy loop. */
export interface CopyLoop {
  stop(): Promise<void>;
}

/** Payload bytes per produce request, as the sidecar's copy loop (well under message.max.bytes). */
const CHUNK_BYTES = 512 * 1024;
const remoteOf = (topic: string): string => `us-east.${topic}`;

/** Records of `messages` split so that each send stays under {@link CHUNK_BYTES}. */
function chunks<T extends { key?: Buffer | null; value?: Buffer | null }>(messages: readonly T[]): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = (m.key?.length ?? 0) + (m.value?.length ?? 0) + 70;
    if (current.length > 0 && bytes + size > CHUNK_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * kafkajs eachBatch, each chunk's send awaited: the sidecar's loop, bare. By default one partition
 * at a time with one request in flight (the sidecar's settings); with `concurrency` that many
 * partitions' batches at once and no cap on requests in flight (kafkajs still runs one batch per
 * partition at a time, so each partition's sends stay in order).
 */
export async function startKafkajsLoop(
  source: string,
  target: string,
  topics: readonly string[],
  groupId: string,
  concurrency = 1,
): Promise<CopyLoop> {
  const from = new Kafka({ brokers: [source], logLevel: logLevel.NOTHING });
  const to = new Kafka({ brokers: [target], logLevel: logLevel.NOTHING });
  const producer = to.producer(
    concurrency > 1 ? { idempotent: true } : { idempotent: true, maxInFlightRequests: 1 },
  );
  await producer.connect();
  const consumer = from.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    eachBatchAutoResolve: false,
    autoCommitInterval: 1000,
    partitionsConsumedConcurrently: concurrency,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      if (batch.messages.length === 0 || !isRunning() || isStale()) return;
      for (const chunk of chunks(batch.messages))
        await producer.send({
          topic: remoteOf(batch.topic),
          acks: -1,
          messages: chunk.map((m) => ({
            key: m.key,
            value: m.value,
            headers: m.headers,
            timestamp: m.timestamp,
            partition: batch.partition,
          })),
        });
      resolveOffset((batch.messages[batch.messages.length - 1] as { offset: string }).offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    },
  });
  return {
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

/**
 * @platformatic/kafka: its consumer is a stream of single messages, so the loop gathers what
 * arrived in one turn of the event loop per partition and sends it, one send in flight per
 * partition (order kept), all partitions at once; positions are committed every second.
 */
export async function startPlatformaticLoop(
  source: string,
  target: string,
  topics: readonly string[],
  groupId: string,
): Promise<CopyLoop> {
  type Msg = {
    key: Buffer;
    value: Buffer;
    headers: Map<Buffer, Buffer>;
    timestamp: bigint;
    offset: bigint;
    topic: string;
    partition: number;
  };
  const producer = new PlatformaticProducer({
    clientId: `${groupId}-producer`,
    bootstrapBrokers: [target],
    idempotent: true,
    acks: -1,
  });
  const consumer = new PlatformaticConsumer({
    clientId: `${groupId}-consumer`,
    groupId,
    bootstrapBrokers: [source],
    maxWaitTime: 100,
  });
  const stream = await consumer.consume({
    topics: [...topics],
    mode: 'committed',
    fallbackMode: 'earliest',
    autocommit: false,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
  });
  const pending = new Map<string, Msg[]>();
  const inFlight = new Set<string>();
  /** Next offset to commit per partition: everything below it is on the target. */
  const copied = new Map<string, { topic: string; partition: number; offset: bigint }>();
  let queued = 0;
  let failure: unknown = null;
  let scheduled = false;
  const pump = (key: string): void => {
    if (inFlight.has(key)) return;
    const messages = pending.get(key);
    if (!messages || messages.length === 0) return;
    pending.set(key, []);
    inFlight.add(key);
    void (async () => {
      try {
        for (const chunk of chunks(messages))
          await producer.send({
            messages: chunk.map((m) => ({
              topic: remoteOf(m.topic),
              partition: m.partition,
              key: m.key,
              value: m.value,
              headers: m.headers,
              timestamp: m.timestamp,
            })),
          });
        const last = messages[messages.length - 1] as Msg;
        copied.set(key, { topic: last.topic, partition: last.partition, offset: last.offset + 1n });
      } catch (error) {
        failure = error;
      } finally {
        inFlight.delete(key);
        queued -= messages.length;
        if (stream.isPaused() && queued < 10_000) stream.resume();
      }
      pump(key);
    })();
  };
  stream.on('data', (m: Msg) => {
    const key = `${m.topic}\u0000${m.partition}`;
    let list = pending.get(key);
    if (!list) {
      list = [];
      pending.set(key, list);
    }
    list.push(m);
    // Bounded memory: the stream waits while the target is behind.
    if (++queued >= 20_000) stream.pause();
    if (!scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        for (const k of pending.keys()) pump(k);
      });
    }
  });
  const committer = setInterval(() => {
    if (copied.size === 0) return;
    const offsets = [...copied.values()].map((c) => ({ ...c, leaderEpoch: -1 }));
    copied.clear();
    void Promise.resolve(consumer.commit({ offsets })).catch(() => undefined);
  }, 1000);
  return {
    async stop() {
      clearInterval(committer);
      await stream.close();
      await consumer.close(true);
      await producer.close();
      if (failure) throw failure;
    },
  };
}
