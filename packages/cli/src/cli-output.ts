import { duration, type Palette, palette } from '@mirrorkit/core';

/** Where a command writes: results on stdout, progress on stderr, colours only on a TTY. */
export interface CliOutput {
  readonly json: boolean;
  readonly colors: Palette;
  /** Writes the command's result: JSON (offsets as strings) or the human text. */
  result(value: unknown, human: () => string): void;
  /** A line of human output on stdout as it happens (nothing with --json, which prints once). */
  line(text: string): void;
  /** A note for people on stderr (suppressed with --json, which keeps stderr for progress only). */
  note(line: string): void;
  /**
   * Runs `fn`, and if it takes longer than a second shows `label` with the time spent on stderr:
   * one updating line on a TTY, one line otherwise.
   */
  waiting<T>(label: string, fn: () => Promise<T>): Promise<T>;
}

/** JSON with bigint offsets as decimal strings (a JS number cannot hold every int64). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

/** The output of one run of the CLI on the given streams. */
export function cliOutput(options: {
  json: boolean;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: Readonly<Record<string, string | undefined>>;
}): CliOutput {
  const { stdout, stderr, json } = options;
  const colors = palette(stdout.isTTY === true && !json && options.env.NO_COLOR === undefined);
  const stderrTty = stderr.isTTY === true;
  return {
    json,
    colors,
    result(value, human) {
      stdout.write(json ? `${toJson(value)}\n` : `${human()}\n`);
    },
    line(text) {
      if (!json) stdout.write(`${text}\n`);
    },
    note(line) {
      if (!json) stderr.write(`${line}\n`);
    },
    async waiting(label, fn) {
      const started = Date.now();
      let shown = false;
      const show = (): void => {
        const text = `${label} … ${duration(Date.now() - started)}`;
        if (stderrTty) stderr.write(`\r\u001b[2K${text}`);
        else if (!shown) stderr.write(`${label} …\n`);
        shown = true;
      };
      const first = setTimeout(show, 1000);
      const ticker = stderrTty ? setInterval(() => shown && show(), 250) : undefined;
      try {
        return await fn();
      } finally {
        clearTimeout(first);
        if (ticker) clearInterval(ticker);
        if (shown && stderrTty) stderr.write('\r\u001b[2K');
      }
    },
  };
}
