/** How the examples print: timestamped progress lines, figures, and the checks with the verdict. */
import { duration } from '@mirrorkit/core';
import type { ExampleResult } from './result.js';

// `1234` → `1,234`; milliseconds as `850 ms` or `2.4 s`, `n/a` when not measured (as the CLI prints them).
export { count, duration } from '@mirrorkit/core';

/**
 * A progress logger that prefixes each line with the seconds since `startedAt` (`[  5.7s] …`) and
 * hands it to `log`; silent when `log` is undefined.
 */
export function progressLog(
  log: ((line: string) => void) | undefined,
  startedAt: number,
): (line: string) => void {
  return (line) => log?.(`[${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)}s] ${line}`);
}

/**
 * The end of every summary: one line per check (`  ok    …` or `  FAIL  …`), a blank line and
 * `Result: PASS (13.9 s)` (or `FAIL`).
 */
export function formatVerdict(result: ExampleResult): string {
  return [
    ...result.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}`),
    '',
    `Result: ${result.passed ? 'PASS' : 'FAIL'} (${duration(result.elapsedMs)})`,
  ].join('\n');
}
