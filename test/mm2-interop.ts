import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureKafkaRuntime, type KafkaRuntime } from '@mirrorkit/testkit';

const run = promisify(execFile);
const SOURCE = fileURLToPath(
  new URL('../packages/core/interop/org/apache/kafka/connect/mirror/MirrorInterop.java', import.meta.url),
);
const MAIN = 'org.apache.kafka.connect.mirror.MirrorInterop';

let compiled: Promise<{ classes: string; runtime: KafkaRuntime }> | undefined;

/** Compiles the MM2 interop probe once per test process, against the jars of the Kafka under test. */
function probe(): Promise<{ classes: string; runtime: KafkaRuntime }> {
  compiled ??= (async () => {
    const runtime = await ensureKafkaRuntime();
    const classes = mkdtempSync(join(tmpdir(), 'mirrorkit-interop-'));
    await run('javac', ['-cp', `${runtime.libDir}/*`, '-d', classes, SOURCE]);
    return { classes, runtime };
  })();
  return compiled;
}

/** Runs the probe with `args` and returns its stdout lines (stderr carries MM2's own logging). */
export async function mm2Interop(...args: string[]): Promise<string[]> {
  const { classes, runtime } = await probe();
  const { stdout } = await run(
    'java',
    [
      '-Xmx256m',
      '-XX:TieredStopAtLevel=1',
      runtime.loggingFlag.replace(/log4j(2?)\.properties/, 'tools-log4j$1.properties'),
      '-cp',
      `${classes}:${runtime.libDir}/*`,
      MAIN,
      ...args,
    ],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  return stdout.split('\n').filter((line) => line.length > 0);
}
