/** How the examples print: timestamped progress lines, figures, and the checks with the verdict. */
import type { ExampleResult } from './result.js';

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

/** `1234` → `1,234`. */
export const count = (n: number): string => n.toLocaleString('en-US');

/** Milliseconds as `850 ms` or `2.4 s`; `n/a` when not measured. */
export function duration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return 'n/a';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
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
