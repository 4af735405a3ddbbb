import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KAFKA_ASSETS_DIR, type KafkaRuntime } from './kafka-runtime.js';
import { TestkitError } from './testkit-error.js';

/** A JVM started by the testkit, in its own process group under the watchdog script. */
export interface JvmProcess {
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or the signal name) once the process group leader is gone. */
  readonly exited: Promise<number | string>;
  /** True until `exited` settles. */
  isRunning(): boolean;
  /** SIGTERM to the whole group (clean shutdown), escalating to SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL to the whole group, the way a crashed host looks to clients. */
  kill(): Promise<void>;
  /** The last `lines` lines of the JVM's log. */
  logTail(lines?: number): string;
}

const live = new Set<JvmProcess>();
let exitHooksInstalled = false;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone, which is what the caller wanted.
  }
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  // Synchronous last resort: on exit nothing async runs, so SIGKILL whatever is still alive. The
  // watchdog script covers the cases where even this does not run (SIGKILL of Node itself).
  process.on('exit', () => {
    for (const jvm of live) signalGroup(jvm.pid, 'SIGKILL');
  });
}

/** Reads the last lines of a file without loading more than the final 256 KiB. */
export function tailFile(path: string, lines = 60): string {
  try {
    const size = statSync(path).size;
    const start = Math.max(0, size - 256 * 1024);
    const text = readFileSync(path).subarray(start).toString('utf8');
    return text
      .split('\n')
      .slice(-lines - 1)
      .join('\n');
  } catch {
    return `(no log at ${path})`;
  }
}

/**
 * Starts `java <jvmArgs> -cp <runtime jars> <mainClass> <args>` with stdout and stderr going to
 * `logFile` (never a pipe: a JVM blocked on a full pipe looks exactly like a hung broker).
 */
export function startJvm(options: {
  runtime: KafkaRuntime;
  mainClass: string;
  args: readonly string[];
  logFile: string;
  heap?: string;
  extraJvmArgs?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Keep the Node event loop alive while the JVM runs (for tools awaited to completion). */
  holdEventLoop?: boolean;
}): JvmProcess {
  installExitHooks();
  const heap = options.heap ?? '512m';
  const javaArgs = [
    `-Xms64m`,
    `-Xmx${heap}`,
    '-XX:+UseSerialGC',
    '-Djava.awt.headless=true',
    options.runtime.loggingFlag,
    ...(options.extraJvmArgs ?? []),
    '-cp',
    `${options.runtime.libDir}/*`,
    options.mainClass,
    ...options.args,
  ];
  const fd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(join(KAFKA_ASSETS_DIR, 'watchdog.sh'), [String(process.pid), 'java', ...javaArgs], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...options.env },
    });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) {
    throw new TestkitError('TESTKIT_JAVA_MISSING', `could not start java for ${options.mainClass}`);
  }
  const pid = child.pid;
  let running = true;
  const exited = new Promise<number | string>((resolveExit) => {
    child.once('exit', (code, signal) => {
      running = false;
      live.delete(handle);
      resolveExit(code ?? signal ?? 'unknown');
    });
    child.once('error', (error) => {
      running = false;
      live.delete(handle);
      resolveExit(`spawn error: ${error.message}`);
    });
  });
  // A long-running broker must not keep the test runner or the CLI alive on its own; a tool that
  // is being awaited must, or Node exits mid-await with nothing left on its event loop.
  if (!options.holdEventLoop) child.unref();

  const handle: JvmProcess = {
    pid,
    logFile: options.logFile,
    exited,
    isRunning: () => running,
    async stop(graceMs = 15_000) {
      if (!running) return;
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // The leader (watchdog) may exit a moment before the JVM in a TERM race; make sure.
      signalGroup(pid, 'SIGKILL');
    },
    async kill() {
      signalGroup(pid, 'SIGKILL');
      await exited;
    },
    logTail: (lines?: number) => tailFile(options.logFile, lines),
  };
  live.add(handle);
  return handle;
}

/** Runs a short-lived JVM tool to completion; rejects with its log tail when it exits non-zero. */
export async function runJvmTool(options: {
  runtime: KafkaRuntime;
  mainClass: string;
  args: readonly string[];
  logFile: string;
  what: string;
}): Promise<void> {
  const jvm = startJvm({
    ...options,
    heap: '256m',
    holdEventLoop: true,
    // Tools run once and exit: C1 only starts faster on a 2-core box.
    extraJvmArgs: ['-XX:TieredStopAtLevel=1'],
  });
  const code = await jvm.exited;
  if (code !== 0) {
    throw new TestkitError(
      'TESTKIT_FORMAT_FAILED',
      `${options.what} failed (exit ${code}); log tail:\n${jvm.logTail(40)}`,
    );
  }
}

/** Stops every JVM this process started; for teardown paths that lost track of their handles. */
export async function stopAllJvms(): Promise<void> {
  await Promise.all([...live].map((jvm) => jvm.stop()));
}
