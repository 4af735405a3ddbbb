import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type JvmProcess, startJvm } from './jvm-process.js';
import { ensureKafkaRuntime } from './kafka-runtime.js';
import { claimRunDir, sweepStaleRunDirs } from './stale-run-dirs.js';
import { TestkitError } from './testkit-error.js';

/** Options for {@link startMirrorMaker}. */
export interface StartMirrorMakerOptions {
  /** The body of an `mm2.properties` file, exactly what `connect-mirror-maker.sh` would read. */
  properties: string;
  /** Runs only the herders that target these aliases (MM2's `--clusters`). */
  targetClusters?: readonly string[];
  /** Kafka version; defaults to the testkit's selected version. */
  version?: string;
  /** How long to wait for the "Kafka MirrorMaker started" log line. Default 120 s. */
  startTimeoutMs?: number;
}

/** A running MirrorMaker 2 in dedicated mode (`org.apache.kafka.connect.mirror.MirrorMaker`). */
export interface MirrorMakerProcess {
  readonly pid: number;
  readonly logFile: string;
  readonly propertiesFile: string;
  isRunning(): boolean;
  /** Clean shutdown (SIGTERM) and removal of its scratch folder. */
  stop(): Promise<void>;
  /** SIGKILL, as if its host died. */
  kill(): Promise<void>;
  /** The whole MM2 log so far. */
  logs(): string;
  logTail(lines?: number): string;
  /** Resolves when the log matches `pattern`; rejects on timeout or if MM2 exits first. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

const MIRROR_MAKER_MAIN = 'org.apache.kafka.connect.mirror.MirrorMaker';

async function waitForLogLine(
  jvm: JvmProcess,
  pattern: RegExp,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pattern.test(readFileSync(jvm.logFile, 'utf8'))) return;
    if (!jvm.isRunning()) {
      throw new TestkitError(
        'TESTKIT_PROCESS_EXITED',
        `MirrorMaker 2 exited before ${what}; log tail:\n${jvm.logTail(80)}`,
      );
    }
    await new Promise((resolveSleep) => setTimeout(resolveSleep, 200));
  }
  throw new TestkitError(
    'TESTKIT_START_TIMEOUT',
    `MirrorMaker 2 did not reach ${what} in ${timeoutMs} ms; log tail:\n${jvm.logTail(80)}`,
  );
}

/**
 * Starts real MirrorMaker 2 in dedicated mode with the given properties and resolves once it
 * reports "started". That only means its herders run: wait for a replicated record or a remote
 * heartbeats topic before relying on replication.
 */
export async function startMirrorMaker(options: StartMirrorMakerOptions): Promise<MirrorMakerProcess> {
  const runtime = await ensureKafkaRuntime(options.version ? { version: options.version } : {});
  sweepStaleRunDirs('mirrorkit-mm2-');
  const dir = mkdtempSync(join(tmpdir(), 'mirrorkit-mm2-'));
  claimRunDir(dir);
  const propertiesFile = join(dir, 'mm2.properties');
  writeFileSync(propertiesFile, options.properties);
  const args = [propertiesFile];
  if (options.targetClusters?.length) args.push('--clusters', ...options.targetClusters);
  const jvm = startJvm({
    runtime,
    mainClass: MIRROR_MAKER_MAIN,
    args,
    logFile: join(dir, 'mm2.log'),
    heap: '768m',
  });
  try {
    await waitForLogLine(
      jvm,
      /Kafka MirrorMaker started/,
      options.startTimeoutMs ?? 120_000,
      '"Kafka MirrorMaker started"',
    );
  } catch (error) {
    await jvm.kill();
    throw error;
  }
  let stopped = false;
  return {
    pid: jvm.pid,
    logFile: jvm.logFile,
    propertiesFile,
    isRunning: () => jvm.isRunning(),
    async stop() {
      if (stopped) return;
      stopped = true;
      await jvm.stop(20_000);
      if (!process.env.MIRRORKIT_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
    },
    kill: () => jvm.kill(),
    logs: () => readFileSync(jvm.logFile, 'utf8'),
    logTail: (lines?: number) => jvm.logTail(lines),
    waitForLog: (pattern: RegExp, timeoutMs = 60_000) =>
      waitForLogLine(jvm, pattern, timeoutMs, String(pattern)),
  };
}

/** Inputs for {@link mirrorMakerTestProperties}. */
export interface MirrorMakerTestPropertiesOptions {
  /** Alias → bootstrap servers of every cluster MM2 should know. */
  clusters: Readonly<Record<string, string>>;
  /** Enabled flows as `source->target`, e.g. `['us-east->us-west']`. */
  flows: readonly string[];
  /** Extra or overriding lines (e.g. `replication.policy.class`, `us-east->us-west.topics`). */
  extra?: Readonly<Record<string, string>>;
}

/**
 * An `mm2.properties` body for one-broker test clusters: every replication factor 1 and every
 * interval at one second, so a test sees topics, checkpoints and heartbeats within seconds instead
 * of MM2's production defaults (10 minutes for new topics, 60 s for checkpoints).
 */
export function mirrorMakerTestProperties(options: MirrorMakerTestPropertiesOptions): string {
  const aliases = Object.keys(options.clusters);
  const lines: Record<string, string> = { clusters: aliases.join(', ') };
  for (const [alias, bootstrap] of Object.entries(options.clusters)) {
    lines[`${alias}.bootstrap.servers`] = bootstrap;
  }
  for (const flow of options.flows) {
    const [source, target] = flow.split('->');
    if (!source || !target || !aliases.includes(source) || !aliases.includes(target)) {
      throw new TestkitError(
        'TESTKIT_BAD_ARGUMENT',
        `flow "${flow}" must be source->target between known aliases ${aliases.join(', ')}`,
      );
    }
    lines[`${flow}.enabled`] = 'true';
  }
  Object.assign(lines, {
    'replication.factor': '1',
    'checkpoints.topic.replication.factor': '1',
    'heartbeats.topic.replication.factor': '1',
    'offset-syncs.topic.replication.factor': '1',
    'offset.storage.replication.factor': '1',
    'status.storage.replication.factor': '1',
    'config.storage.replication.factor': '1',
    'offset.storage.partitions': '1',
    'status.storage.partitions': '1',
    'refresh.topics.interval.seconds': '1',
    'refresh.groups.interval.seconds': '1',
    'emit.checkpoints.interval.seconds': '1',
    'emit.heartbeats.interval.seconds': '1',
    'sync.topic.configs.interval.seconds': '1',
    'sync.topic.acls.enabled': 'false',
    'tasks.max': '1',
    ...options.extra,
  });
  return `${Object.entries(lines)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}
