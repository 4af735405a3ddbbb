/**
 * The text the CLI and the examples print: aligned tables, colours for a terminal, counts and
 * durations.
 */

/** Renders rows as columns padded to the widest cell; numbers (and `-`) align right. */
export function textTable(rows: readonly (readonly string[])[], options: { indent?: string } = {}): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell));
    });
  }
  const indent = options.indent ?? '';
  return rows
    .map(
      (row) =>
        indent +
        row
          .map((cell, i) => {
            const pad = ' '.repeat((widths[i] ?? 0) - visibleLength(cell));
            return /^-?[\d,.]+( ?[a-z%]+)?$|^-$/.test(stripAnsi(cell)) ? pad + cell : cell + pad;
          })
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour sequences start with ESC.
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

function visibleLength(text: string): number {
  return stripAnsi(text).length;
}

/** Colours for a terminal; identity functions when output is not a TTY (or NO_COLOR is set). */
export interface Palette {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

export function palette(enabled: boolean): Palette {
  const wrap =
    (open: number, close: number) =>
    (text: string): string =>
      enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    green: wrap(32, 39),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    bold: wrap(1, 22),
    dim: wrap(2, 22),
  };
}

/** `12345` → `12,345`. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Milliseconds as `850 ms` or `4.2 s`; `n/a` when not measured (null, NaN). */
export function duration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return 'n/a';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
