import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureKafkaRuntime, KAFKA_ASSETS_DIR, type KafkaRuntime } from './kafka-runtime.js';
import { TestkitError } from './testkit-error.js';

// Kafka's own Java clients from the jars the brokers run on: the reference a MirrorKit reader or
// writer must agree with (compression framing, record layout), with no MirrorKit code in the path.

const execFileAsync = promisify(execFile);

async function runTool(mainClass: string, args: readonly string[], what: string): Promise<string> {
  const runtime: KafkaRuntime = await ensureKafkaRuntime();
  // Tools log warnings to stderr only, so their stdout is exactly what they print.
  const logging =
    runtime.majorVersion >= 4
      ? `-Dlog4j2.configurationFile=${join(KAFKA_ASSETS_DIR, 'tools-log4j2.properties')}`
      : `-Dlog4j.configuration=file:${join(KAFKA_ASSETS_DIR, 'tools-log4j.properties')}`;
  try {
    const { stdout } = await execFileAsync(
      'java',
      ['-Xmx256m', '-XX:TieredStopAtLevel=1', logging, '-cp', `${runtime.libDir}/*`, mainClass, ...args],
      { maxBuffer: 256 * 1024 * 1024 },
    );
    return stdout;
  } catch (error) {
    const stderr = error instanceof Error && 'stderr' in error ? String(error.stderr).slice(-3000) : '';
    throw new TestkitError('TESTKIT_PROCESS_EXITED', `${what} failed: ${stderr || String(error)}`, {
      cause: error,
    });
  }
}

/** Options of {@link javaProducerPerformance}. */
export interface JavaProducerPerformanceOptions {
  readonly bootstrapServers: string;
  readonly topic: string;
  readonly records: number;
  readonly recordSize: number;
  /** Kafka's `compression.type`: none, gzip, snappy, lz4, zstd. */
  readonly compression: string;
  /** More producer properties (`linger.ms`, …). */
  readonly producerProperties?: Readonly<Record<string, string>>;
}

/**
 * Writes `records` records of `recordSize` bytes with Kafka's own Java producer
 * (`ProducerPerformance`, as `kafka-producer-perf-test.sh` does) and waits until all are
 * acknowledged. Values are random upper-case letters; keys are null.
 */
export async function javaProducerPerformance(options: JavaProducerPerformanceOptions): Promise<void> {
  const props = {
    'bootstrap.servers': options.bootstrapServers,
    'compression.type': options.compression,
    acks: 'all',
    'linger.ms': '20',
    ...options.producerProperties,
  };
  await runTool(
    'org.apache.kafka.tools.ProducerPerformance',
    [
      '--topic',
      options.topic,
      '--num-records',
      String(options.records),
      '--record-size',
      String(options.recordSize),
      '--throughput',
      '-1',
      '--producer-props',
      ...Object.entries(props).map(([k, v]) => `${k}=${v}`),
    ],
    `ProducerPerformance to ${options.topic}`,
  );
}

/** A record as Kafka's console consumer printed it. */
export interface JavaConsumedRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  readonly value: string;
}

/**
 * Reads `topic` from the beginning with Kafka's own Java consumer (`ConsoleConsumer`) until
 * `maxMessages` arrived or `timeoutMs` passed without one; returns what it printed.
 */
export async function javaConsumeTopic(options: {
  readonly bootstrapServers: string;
  readonly topic: string;
  readonly maxMessages: number;
  readonly timeoutMs?: number;
}): Promise<JavaConsumedRecord[]> {
  const stdout = await runTool(
    'org.apache.kafka.tools.consumer.ConsoleConsumer',
    [
      '--bootstrap-server',
      options.bootstrapServers,
      '--topic',
      options.topic,
      '--from-beginning',
      '--max-messages',
      String(options.maxMessages),
      '--timeout-ms',
      String(options.timeoutMs ?? 15_000),
      '--property',
      'print.partition=true',
      '--property',
      'print.offset=true',
      '--property',
      'print.key=true',
      '--property',
      'key.separator=\t',
    ],
    `ConsoleConsumer of ${options.topic}`,
  ).catch((error: unknown) => {
    // It exits non-zero on its idle timeout; what it printed before that is still the answer.
    if (
      error instanceof TestkitError &&
      error.cause &&
      typeof error.cause === 'object' &&
      'stdout' in error.cause
    )
      return String((error.cause as { stdout: unknown }).stdout);
    throw error;
  });
  const records: JavaConsumedRecord[] = [];
  for (const line of stdout.split('\n')) {
    // Partition:0\tOffset:12\tkey\tvalue
    const match = /^Partition:(\d+)\tOffset:(\d+)\t([^\t]*)\t(.*)$/.exec(line);
    if (match)
      records.push({
        partition: Number(match[1]),
        offset: match[2] as string,
        key: match[3] as string,
        value: match[4] as string,
      });
  }
  return records;
}

/** One record batch as the broker stores it, read with Kafka's `DumpLogSegments`. */
export interface StoredBatch {
  readonly baseOffset: bigint;
  readonly count: number;
  /** The batch's codec: none, gzip, snappy, lz4 or zstd. */
  readonly codec: string;
}

/**
 * The record batches of one partition as they lie in a broker's log directory (`log.dirs` of a
 * testkit cluster: `<dataDir>/log`), read with Kafka's own `DumpLogSegments`: ground truth for
 * what was written, whatever any client reports.
 */
export async function storedBatches(
  logDir: string,
  topic: string,
  partition: number,
): Promise<StoredBatch[]> {
  const dir = join(logDir, `${topic}-${partition}`);
  const segments = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .map((f) => join(dir, f));
  if (segments.length === 0) return [];
  const stdout = await runTool(
    'kafka.tools.DumpLogSegments',
    ['--files', segments.join(',')],
    `DumpLogSegments of ${topic}-${partition}`,
  );
  const batches: StoredBatch[] = [];
  for (const line of stdout.split('\n')) {
    const base = /baseOffset: (\d+)/.exec(line);
    const count = /count: (\d+)/.exec(line);
    const codec = /compresscodec: (\w+)/.exec(line);
    if (base && count && codec)
      batches.push({
        baseOffset: BigInt(base[1] as string),
        count: Number(count[1]),
        codec: (codec[1] as string).toLowerCase(),
      });
  }
  return batches;
}
