// Registers zstd, lz4 and snappy with kafkajs, so the helpers read every compressed topic.
import '@mirrorkit/core';
import { randomUUID } from 'node:crypto';
import { type IHeaders, Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import { inject, onTestFailed } from 'vitest';
import { tailFile } from '../packages/testkit/src/jvm-process.js';

/** The two clusters the integration globalSetup started, by alias. */
export function sharedClusters(options: { attachLogsToTest?: boolean } = {}): {
  version: string;
  east: string;
  west: string;
} {
  const kafka = inject('kafka');
  const east = kafka.clusters['us-east'];
  const west = kafka.clusters['us-west'];
  if (!east || !west) throw new Error('globalSetup did not provide us-east and us-west');
  // A failing test shows what the brokers were doing; logs of passing tests stay out of the way.
  // Hooks (beforeAll) have no test to attach to and pass attachLogsToTest: false.
  if (options.attachLogsToTest !== false) {
    onTestFailed(() => {
      for (const [alias, cluster] of Object.entries(kafka.clusters)) {
        console.error(
          `---- ${alias} broker log tail (${cluster.logFile}) ----\n${tailFile(cluster.logFile, 40)}`,
        );
      }
    });
  }
  return { version: kafka.version, east: east.bootstrapServers, west: west.bootstrapServers };
}

/** A kafkajs client for a test, quiet unless something is badly wrong. */
export function kafkaFor(bootstrap: string, clientId = 'mirrorkit-test'): Kafka {
  return new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING });
}

/** Sum of the high watermarks of a topic; -1 while it does not exist. */
export async function recordCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return -1;
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** A name unique to this run, so tests sharing two clusters never see each other's topics or groups. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A record as a test wants to compare it. */
export interface SeenRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  timestamp: string;
}

function plainHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    out[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return out;
}

function toSeen(topic: string, partition: number, message: KafkaMessage): SeenRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8') ?? null,
    value: message.value?.toString('utf8') ?? null,
    headers: plainHeaders(message.headers),
    timestamp: message.timestamp,
  };
}

/**
 * Consumes `topic` from the beginning in a fresh group until `count` records arrived (or the
 * deadline passes, which fails with how many did arrive).
 */
export async function consumeCount(
  kafka: Kafka,
  topic: string | RegExp,
  count: number,
  options: { timeoutMs?: number; groupId?: string } = {},
): Promise<SeenRecord[]> {
  const consumer = kafka.consumer({ groupId: options.groupId ?? uniqueName('count'), maxWaitTimeInMs: 200 });
  const seen: SeenRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolveDone, rejectDone) => {
      const timer = setTimeout(
        () =>
          rejectDone(new Error(`consumed ${seen.length} of ${count} records from ${String(topic)} in time`)),
        options.timeoutMs ?? 60_000,
      );
      consumer
        .run({
          eachMessage: async ({ topic: t, partition, message }) => {
            seen.push(toSeen(t, partition, message));
            if (seen.length >= count) {
              clearTimeout(timer);
              resolveDone();
            }
          },
        })
        .catch(rejectDone);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolveSleep) => setTimeout(resolveSleep, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}
