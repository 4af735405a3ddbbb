import { MirrorKitCliError } from './cli-error.js';

/** The type of one flag's value. */
export type FlagKind = 'string' | 'boolean' | 'number';

/** A command's flags by long name (without `--`). */
export type FlagSpec = Readonly<Record<string, { kind: FlagKind; help: string; required?: boolean }>>;

/** Parsed flag values; booleans are true when present. */
export type FlagValues = Record<string, string | number | boolean | undefined>;

/** Flags every command takes. */
export const COMMON_FLAGS: FlagSpec = {
  config: {
    kind: 'string',
    help: 'connection settings: a MirrorKit JSON file or an mm2.properties file (or $MIRRORKIT_CONFIG)',
  },
  clusters: {
    kind: 'string',
    help: 'brokers by alias, alias=host:port[;host:port],… — replaces those in the config, or stands in for one',
  },
  json: { kind: 'boolean', help: 'print the result as JSON on stdout (progress and errors on stderr)' },
  verbose: { kind: 'boolean', help: 'print stack traces with errors' },
  help: { kind: 'boolean', help: 'show this help' },
  'timeout-ms': { kind: 'number', help: 'give up on a cluster call after this long (default 10000)' },
};

/**
 * Parses `--name value`, `--name=value` and boolean `--name` against `spec` (plus
 * {@link COMMON_FLAGS}). Unknown flags, missing values, non-numbers and missing required flags are
 * usage errors naming the flag.
 */
export function parseFlags(command: string, argv: readonly string[], spec: FlagSpec): FlagValues {
  const all: FlagSpec = { ...COMMON_FLAGS, ...spec };
  const values: FlagValues = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      throw new MirrorKitCliError('CLI_USAGE', `unexpected argument "${arg}"`);
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const flag = all[name];
    if (!flag) {
      throw new MirrorKitCliError('CLI_USAGE', `unknown flag --${name} (see mirrorkit ${command} --help)`);
    }
    if (flag.kind === 'boolean') {
      if (eq > 0) {
        const text = arg.slice(eq + 1);
        if (text !== 'true' && text !== 'false')
          throw new MirrorKitCliError('CLI_USAGE', `--${name} takes true or false`);
        values[name] = text === 'true';
      } else {
        values[name] = true;
      }
      continue;
    }
    let text: string | undefined;
    if (eq > 0) text = arg.slice(eq + 1);
    else {
      text = argv[i + 1];
      i++;
    }
    if (text === undefined || (eq < 0 && text.startsWith('--'))) {
      throw new MirrorKitCliError('CLI_USAGE', `--${name} needs a value`);
    }
    if (flag.kind === 'number') {
      const n = Number(text);
      if (!Number.isFinite(n) || text.trim() === '') {
        throw new MirrorKitCliError('CLI_USAGE', `--${name} must be a number, got "${text}"`);
      }
      values[name] = n;
    } else {
      values[name] = text;
    }
  }
  if (values.help !== true) {
    for (const [name, flag] of Object.entries(spec)) {
      if (flag.required && values[name] === undefined) {
        throw new MirrorKitCliError('CLI_USAGE', `--${name} is required`);
      }
    }
  }
  return values;
}

/** A command's help text: usage line, summary and its flags aligned. */
export function commandHelp(command: string, summary: string, spec: FlagSpec): string {
  const all = { ...spec, ...COMMON_FLAGS };
  const names = Object.entries(all).map(([name, flag]) => {
    const arg =
      flag.kind === 'boolean' ? `--${name}` : `--${name} <${flag.kind === 'number' ? 'n' : 'value'}>`;
    return [arg, `${flag.help}${flag.required ? ' (required)' : ''}`] as const;
  });
  const width = Math.max(...names.map(([arg]) => arg.length));
  return [
    `Usage: mirrorkit ${command} [flags]`,
    '',
    summary,
    '',
    'Flags:',
    ...names.map(([arg, help]) => `  ${arg.padEnd(width)}  ${help}`),
  ].join('\n');
}

/** A string flag's value (undefined when absent). */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A number flag's value, or `fallback`. */
export function numberFlag(values: FlagValues, name: string, fallback: number): number {
  const value = values[name];
  return typeof value === 'number' ? value : fallback;
}
