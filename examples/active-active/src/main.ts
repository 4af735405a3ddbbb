#!/usr/bin/env node
// The active-active example as a program: exit 0 when every check passed, 1 when one failed,
// 2 when it could not run, 130 when interrupted (after stopping everything it started).
import { formatActiveActive, runActiveActive } from './active-active.js';

const controller = new AbortController();
let interrupted = false;
const onSignal = (signal: NodeJS.Signals): void => {
  if (interrupted) return;
  interrupted = true;
  process.stdout.write(`\n${signal}: stopping the clients, MirrorMaker 2 and both clusters …\n`);
  controller.abort();
  // Should a stop hang, exiting still SIGKILLs every broker JVM (the testkit's exit hook).
  setTimeout(() => process.exit(130), 30_000).unref();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

try {
  const result = await runActiveActive({
    log: (line) => process.stdout.write(`${line}\n`),
    signal: controller.signal,
  });
  process.stdout.write(`\n${formatActiveActive(result)}\n`);
  process.exit(interrupted ? 130 : result.passed ? 0 : 1);
} catch (error) {
  if (!interrupted)
    process.stderr.write(`example failed to run: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(interrupted ? 130 : 2);
}
