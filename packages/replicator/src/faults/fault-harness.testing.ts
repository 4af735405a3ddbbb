import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mirrorMakerTestProperties } from '@mirrorkit/testkit';
import type { Kafka, Producer } from 'kafkajs';
import { onTestFailed } from 'vitest';
import { kafkaFor } from '../../../../test/kafka-context.js';

/** The built bin: fault tests that signal the process run it as a child, as an orchestrator would. */
export const REPLICATOR_BIN = fileURLToPath(
  new URL('../../dist/bin/mirrorkit-replicator.js', import.meta.url),
);

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/** Fault tests' clients: the integration tests' own, with their client id. */
export const kafkaAt = (bootstrap: string): Kafka => kafkaFor(bootstrap, 'mirrorkit-faults');

/**
 * One flow `a->b` over `topics`, with every interval short so that a fault test sees the
 * replicator react within seconds (and replication factor 1: single-broker clusters).
 */
export function flowProperties(
  flow: { a: string; b: string; source: string; target: string; topics: string },
  extra = '',
): string {
  const { a, b, source, target, topics } = flow;
  // The testkit's MM2 file (its Connect-only keys are logged by the sidecar as not needed).
  return `${mirrorMakerTestProperties({
    clusters: { [a]: source, [b]: target },
    flows: [`${a}->${b}`],
    extra: { [`${a}->${b}.topics`]: topics },
  })}${extra}`;
}

/** A producer writing ids `p<partition>-<n>` at a steady rate, each partition in order. */
export interface SteadyProducer {
  /** Records acknowledged so far (acks=-1). */
  sent(): number;
  /** Stops after the send in progress; resolves with the records acknowledged. */
  stop(): Promise<number>;
}

/**
 * Every `tickMs`, sends `perPartition` records to each partition in one acks=-1 request, waiting
 * for it before the next: the ids of a partition are on the source in the order of their numbers.
 * A failed send ends the producer with that error at {@link SteadyProducer.stop}.
 */
export async function startSteadyProducer(
  kafka: Kafka,
  topic: string,
  options: { partitions: number; perPartition: number; tickMs: number },
): Promise<SteadyProducer> {
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let running = true;
  let sent = 0;
  let n = 0;
  const loop = (async () => {
    while (running) {
      const messages = [];
      for (let partition = 0; partition < options.partitions; partition++)
        for (let i = 0; i < options.perPartition; i++)
          messages.push({ partition, key: null, value: `p${partition}-${n + i}` });
      await producer.send({ topic, acks: -1, messages });
      n += options.perPartition;
      sent += messages.length;
      await sleep(options.tickMs);
    }
  })();
  return {
    sent: () => sent,
    stop: async () => {
      running = false;
      try {
        await loop;
      } finally {
        await producer.disconnect();
      }
      return sent;
    },
  };
}

/** A replicator bin run as a child process, with its stderr (the JSON log) kept. */
export interface ReplicatorChild {
  readonly process: ChildProcess;
  log(): string;
  /** Resolves with the exit code (or signal name) once the process exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

export function spawnReplicator(args: readonly string[], name = 'replicator'): ReplicatorChild {
  const child = spawn(process.execPath, [REPLICATOR_BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
    if (process.env.REPLICATOR_DEBUG) process.stdout.write(`[${name}] ${chunk.toString()}`);
  });
  onTestFailed(() => console.error(`---- ${name} (pid ${child.pid}) log tail ----\n${log.slice(-4000)}`));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
    (resolveExit) => child.on('exit', (code, signal) => resolveExit({ code, signal, at: Date.now() })),
  );
  return { process: child, log: () => log, exited };
}

/** SIGKILLs what is still running (a stopped process is continued first so it can die). */
export function killChildren(children: readonly ReplicatorChild[]): void {
  for (const child of children) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) continue;
    child.process.kill('SIGCONT');
    child.process.kill('SIGKILL');
  }
}

/** The value of one Prometheus sample (labels in any order), 0 when absent. */
export function metricValue(text: string, name: string, labels: Readonly<Record<string, string>>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^[^{\s]+(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const have = new Map(
      [...(match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [
        m[1] as string,
        m[2] as string,
      ]),
    );
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(match[2]);
  }
  return 0;
}

interface EndOffsetsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number }[];
  fetchTopicsOffset(
    topics: { topic: string; partitions: { partition: number }[]; fromBeginning: boolean }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

/**
 * The end offset of each partition as the broker reports it for an isolation level: the high
 * watermark (`read_uncommitted`) or the last stable offset (`read_committed`), which stays below
 * the high watermark while a transaction is open on the partition. kafkajs's admin does not let
 * one choose, so this goes through its cluster layer, as @mirrorkit/core's topic reader does.
 */
export async function endOffsets(
  kafka: Kafka,
  topic: string,
  isolation: 'read_committed' | 'read_uncommitted',
): Promise<Map<number, bigint>> {
  const symbol = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const create = symbol ? (kafka as unknown as Record<symbol, unknown>)[symbol] : undefined;
  if (typeof create !== 'function') throw new Error('this kafkajs build does not expose its cluster layer');
  const cluster = (create as (options: object) => EndOffsetsCluster)({
    metadataMaxAge: 300_000,
    allowAutoTopicCreation: false,
    isolationLevel: isolation === 'read_committed' ? 1 : 0,
  });
  await cluster.connect();
  try {
    await cluster.addTargetTopic(topic);
    const partitions = cluster.findTopicPartitionMetadata(topic).map((p) => ({ partition: p.partitionId }));
    const [result] = await cluster.fetchTopicsOffset([{ topic, partitions, fromBeginning: false }]);
    return new Map((result?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  } finally {
    await cluster.disconnect().catch(() => undefined);
  }
}

/** Partitions of `topic` with a transaction open now, and where their last stable offset is. */
export async function openTransactions(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const stable = await endOffsets(kafka, topic, 'read_committed');
  const high = await endOffsets(kafka, topic, 'read_uncommitted');
  const open = new Map<number, bigint>();
  for (const [partition, lso] of stable) if (lso < (high.get(partition) ?? lso)) open.set(partition, lso);
  return open;
}
