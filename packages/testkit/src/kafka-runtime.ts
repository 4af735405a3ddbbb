import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TestkitError } from './testkit-error.js';

const execFileAsync = promisify(execFile);

/** Folder of this package (works from `src/` under vitest and from `dist/` under node). */
const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** `packages/testkit/kafka`: the pom that pins Kafka, the logging configs and the JVM watchdog. */
export const KAFKA_ASSETS_DIR = join(PACKAGE_DIR, 'kafka');
const REPO_ROOT = resolve(PACKAGE_DIR, '..', '..');

/** What is needed to launch a Kafka JVM of one version. */
export interface KafkaRuntime {
  readonly version: string;
  /** Folder with every jar; used as `-cp "<libDir>/*"`. */
  readonly libDir: string;
  /** `-D...` flag pointing the JVM at the logging config that matches the version's binding. */
  readonly loggingFlag: string;
  readonly majorVersion: number;
}

/** The version pinned in `kafka/pom.xml`: the one place the default Kafka version lives. */
export function pinnedKafkaVersion(): string {
  const pom = readFileSync(join(KAFKA_ASSETS_DIR, 'pom.xml'), 'utf8');
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom);
  if (!match?.[1]) {
    throw new TestkitError('TESTKIT_JARS_UNAVAILABLE', 'kafka/pom.xml has no <kafka.version> property');
  }
  return match[1];
}

/** The Kafka version for this run: `KAFKA_VERSION` from the environment, else the pinned one. */
export function selectedKafkaVersion(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.KAFKA_VERSION?.trim();
  if (fromEnv) {
    if (!/^\d+\.\d+\.\d+$/.test(fromEnv)) {
      throw new TestkitError('TESTKIT_BAD_ARGUMENT', `KAFKA_VERSION must look like 3.9.1, got "${fromEnv}"`);
    }
    return fromEnv;
  }
  return pinnedKafkaVersion();
}

/** Root of the jar cache; `MIRRORKIT_KAFKA_CACHE` moves it (e.g. to a CI cache volume). */
export function kafkaCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.MIRRORKIT_KAFKA_CACHE ? resolve(env.MIRRORKIT_KAFKA_CACHE) : join(REPO_ROOT, '.cache', 'kafka');
}

function runtimeFor(version: string, libDir: string): KafkaRuntime {
  const majorVersion = Number.parseInt(version.split('.')[0] ?? '0', 10);
  // Kafka 4 moved to log4j2 (KIP-653); 3.x logs through reload4j. Without the matching config the
  // broker prints nothing, and we would lose the log tails that explain a failed test.
  const loggingFlag =
    majorVersion >= 4
      ? `-Dlog4j2.configurationFile=${join(KAFKA_ASSETS_DIR, 'log4j2.properties')}`
      : `-Dlog4j.configuration=file:${join(KAFKA_ASSETS_DIR, 'log4j.properties')}`;
  return { version, libDir, loggingFlag, majorVersion };
}

/**
 * Makes sure the jars of `version` are in the cache, fetching them from Maven Central with
 * `mvn dependency:copy-dependencies` when absent. A completed fetch leaves a marker file, so an
 * interrupted one is redone rather than trusted.
 */
export async function ensureKafkaRuntime(
  options: { version?: string; log?: (line: string) => void } = {},
): Promise<KafkaRuntime> {
  const version = options.version ?? selectedKafkaVersion();
  const versionDir = join(kafkaCacheDir(), version);
  const libDir = join(versionDir, 'lib');
  const marker = join(versionDir, 'complete');
  if (existsSync(marker) && existsSync(libDir)) return runtimeFor(version, libDir);

  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  log(`[testkit] fetching Apache Kafka ${version} jars from Maven Central into ${libDir}`);
  const started = Date.now();
  mkdirSync(versionDir, { recursive: true });
  // Copy into a scratch folder first and rename at the end: a half-filled lib/ with two logging
  // bindings or a missing jar would give confusing broker failures much later.
  const scratch = join(versionDir, `lib.partial-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  const profile = runtimeFor(version, libDir).majorVersion >= 4 ? 'kafka4' : 'kafka3';
  try {
    await execFileAsync(
      'mvn',
      [
        '-B',
        '-q',
        '-f',
        join(KAFKA_ASSETS_DIR, 'pom.xml'),
        `-P${profile}`,
        `-Dkafka.version=${version}`,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${scratch}`,
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
  } catch (error) {
    const detail = error instanceof Error && 'stdout' in error ? String(error.stdout).slice(-4000) : '';
    throw new TestkitError(
      'TESTKIT_JARS_UNAVAILABLE',
      `could not fetch Apache Kafka ${version} jars with Maven: ${detail || String(error)}`,
      { cause: error },
    );
  }
  const jars = readdirSync(scratch);
  if (!jars.some((jar) => jar.startsWith('kafka_2.13-'))) {
    throw new TestkitError('TESTKIT_JARS_UNAVAILABLE', `Maven ran but no kafka_2.13 jar is in ${scratch}`);
  }
  rmSync(libDir, { recursive: true, force: true });
  renameSync(scratch, libDir);
  writeFileSync(marker, `${new Date().toISOString()}\n`);
  log(`[testkit] fetched ${jars.length} jars in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return runtimeFor(version, libDir);
}
