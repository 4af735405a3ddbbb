/**
 * The generic `main` of every example: runs it, prints its summary and exits 0 when every check
 * passed, 1 when one failed, 2 when it could not run, 130 when interrupted (after stopping
 * everything it started).
 */
import type { ExampleResult } from './result.js';

/** What {@link runExampleProgram} runs and prints. */
export interface ExampleProgram<R extends ExampleResult> {
  /** Runs the example; `signal` aborts on SIGINT or SIGTERM, and the run then stops what it started. */
  run(options: { log: (line: string) => void; signal: AbortSignal }): Promise<R>;
  /** The summary printed after the run. */
  format(result: R): string;
  /** What an interrupt stops, for the line `SIGINT: stopping <stops> …`. */
  stops: string;
  /**
   * When given, `--json` on the command line prints `json(result)` as one line of JSON on stdout
   * instead of the summary, and the progress lines go to stderr.
   */
  json?(result: R): unknown;
}

/**
 * Runs `program` as the process: progress lines to stdout, then the summary (with `--json` and
 * `program.json`: progress to stderr, the JSON on stdout). On SIGINT or SIGTERM
 * it aborts the run, which stops everything it started; should a stop hang, it exits 130 after
 * 30 s anyway (and exiting still SIGKILLs every broker JVM: the testkit's exit hook).
 *
 * Exits 0 when every check passed, 1 when one failed, 2 when the run rejected (with its stack on
 * stderr), 130 when interrupted.
 */
export async function runExampleProgram<R extends ExampleResult>(
  program: ExampleProgram<R>,
  args: readonly string[] = process.argv.slice(2),
): Promise<never> {
  const json = program.json !== undefined && args.includes('--json');
  // With --json, stdout carries only the result.
  const progress = json ? process.stderr : process.stdout;
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    progress.write(`\n${signal}: stopping ${program.stops} …\n`);
    controller.abort();
    // Should a stop hang, exiting still SIGKILLs every broker JVM (the testkit's exit hook).
    setTimeout(() => process.exit(130), 30_000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const result = await program.run({
      log: (line) => progress.write(`${line}\n`),
      signal: controller.signal,
    });
    if (json) process.stdout.write(`${JSON.stringify(program.json?.(result))}\n`);
    else process.stdout.write(`\n${program.format(result)}\n`);
    process.exit(interrupted ? 130 : result.passed ? 0 : 1);
  } catch (error) {
    if (!interrupted)
      process.stderr.write(
        `example failed to run: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
    process.exit(interrupted ? 130 : 2);
  }
}
