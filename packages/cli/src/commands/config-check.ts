import { readFileSync } from 'node:fs';
import {
  copyProducerSettings,
  formatNote,
  MirrorKitConfigError,
  type Mm2PropertyNote,
  type Palette,
  parseJavaProperties,
  parseMirrorMakerProperties,
  redact,
  textTable,
} from '@mirrorkit/core';
import { stringFlag } from '../cli-args.js';
import { EXIT, type ExitCode, MirrorKitCliError } from '../cli-error.js';
import { type IgnoredKind, keyMeanings } from '../mm2-key-meanings.js';
import type { Command } from './command.js';

/** One key of the file as `mirrorkit config check` reports it. */
export interface ConfigCheckKey {
  readonly key: string;
  readonly line: number | null;
  /** The value as written (before `${env:…}`), `[redacted]` for secret keys. */
  readonly value: string;
  /** How MirrorKit understands it. */
  readonly mirrorkit: string;
  /** How MM2 (Kafka 3.9) acts differently on it; null when they agree. */
  readonly mm2Differs: string | null;
  /** Why MirrorKit does not act on it; null when it does. */
  readonly ignored: { readonly kind: IgnoredKind; readonly reason: string } | null;
}

/** The result of `mirrorkit config check`, also its `--json` shape. */
export interface ConfigCheckResult {
  readonly file: string;
  /**
   * `ok`: MirrorKit reads the file as MM2 does; `warn`: there are notes (inline comments, values read
   * differently from how they look) or settings MM2 acts on and MirrorKit does not; `invalid`: MirrorKit
   * refuses the file (see `error`).
   */
  readonly verdict: 'ok' | 'warn' | 'invalid';
  /** Every key of the file in line order; empty when invalid. */
  readonly keys: readonly ConfigCheckKey[];
  /** Notes from the parser (key, line, severity `warning` or `loud`, message), in line order. */
  readonly notes: readonly Mm2PropertyNote[];
  /** Files the check could not read here (PEM stores), per cluster. */
  readonly problems: readonly { readonly alias: string; readonly message: string }[];
  /** Why MirrorKit refuses the file. */
  readonly error: {
    readonly code: string;
    readonly key: string | null;
    readonly line: number | null;
    readonly message: string;
  } | null;
}

/**
 * Checks an mm2.properties text: every key with how MirrorKit reads it, where MM2 differs, what is
 * ignored and why, and the parser's notes. A value MirrorKit refuses makes the result `invalid`.
 */
export function checkMirrorMakerConfig(
  text: string,
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): ConfigCheckResult {
  const invalid = (error: MirrorKitConfigError): ConfigCheckResult => ({
    file,
    verdict: 'invalid',
    keys: [],
    notes: [],
    problems: [],
    error: { code: error.code, key: error.key ?? null, line: error.line ?? null, message: error.message },
  });
  let written: ReadonlyMap<string, string>;
  let mm2: ReturnType<typeof parseMirrorMakerProperties>;
  try {
    written = parseJavaProperties(text).entries;
    mm2 = parseMirrorMakerProperties(text, { env });
    // The sidecar refuses a compression.type Kafka does not have before it copies anything.
    for (const flow of mm2.flows) copyProducerSettings(flow, mm2);
  } catch (error) {
    if (error instanceof MirrorKitConfigError) return invalid(error);
    throw error;
  }
  const { keys: meanings, problems } = keyMeanings(mm2);
  const keys = meanings.map(
    (m): ConfigCheckKey => ({
      key: m.key,
      line: m.line ?? null,
      value: redact(m.key, written.get(m.key) ?? ''),
      mirrorkit: m.meaning,
      mm2Differs: m.mm2Differs,
      ignored: m.ignored,
    }),
  );
  const warn = mm2.notes.length > 0 || problems.length > 0 || keys.some((k) => k.mm2Differs !== null);
  return { file, verdict: warn ? 'warn' : 'ok', keys, notes: mm2.notes, problems, error: null };
}

function clip(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/** The human report of a {@link ConfigCheckResult}. */
export function formatConfigCheck(result: ConfigCheckResult, colors: Palette): string {
  const lines: string[] = [colors.bold(`Config check of ${result.file}`), ''];
  if (result.error) {
    lines.push(colors.red(`  ${result.error.message}`), '', `Result: ${colors.red('INVALID')}`);
    return lines.join('\n');
  }
  const status = (k: ConfigCheckKey): string =>
    k.ignored ? colors.yellow('ignored') : k.mm2Differs ? colors.yellow('differs') : colors.green('used');
  lines.push(
    textTable(
      [
        ['LINE', 'KEY', 'VALUE', 'STATUS', 'MIRRORKIT READS'],
        ...result.keys.map((k) => [String(k.line ?? '-'), k.key, clip(k.value, 40), status(k), k.mirrorkit]),
      ],
      { indent: '  ' },
    ),
  );
  const ignored = result.keys.filter((k) => k.ignored);
  if (ignored.length > 0) {
    lines.push('', colors.bold('Ignored (MirrorKit does not act on these)'));
    lines.push(
      textTable(
        ignored.map((k) => [String(k.line ?? '-'), k.key, k.ignored?.reason ?? '']),
        { indent: '  ' },
      ),
    );
  }
  const differs = result.keys.filter((k) => k.mm2Differs);
  if (differs.length > 0) {
    lines.push('', colors.bold('Where MM2 differs'));
    lines.push(
      textTable(
        differs.map((k) => [String(k.line ?? '-'), k.key, k.mm2Differs ?? '']),
        { indent: '  ' },
      ),
    );
  }
  if (result.notes.length > 0 || result.problems.length > 0) {
    lines.push('', colors.bold('Warnings'));
    for (const note of result.notes) {
      const label = note.severity === 'loud' ? colors.red('LOUD') : colors.yellow('WARN');
      lines.push(`  ${label}  ${formatNote(note)}`);
    }
    for (const p of result.problems) lines.push(`  ${colors.yellow('WARN')}  ${p.alias}: ${p.message}`);
  }
  const loud = result.notes.filter((n) => n.severity === 'loud').length;
  const verdict =
    result.verdict === 'ok'
      ? colors.green('OK: MirrorKit reads every key as MM2 does')
      : colors.yellow(
          `WARN: ${result.notes.length} warning(s)${loud > 0 ? `, ${loud} loud` : ''}, ${differs.length} key(s) where MM2 differs`,
        );
  lines.push('', `Result: ${verdict}`);
  return lines.join('\n');
}

export const configCheckCommand: Command = {
  name: 'config check',
  summary:
    'Lists every key of an mm2.properties file: how MirrorKit reads it, where MM2 differs, what is ignored and why; warns of inline comments and values MM2 reads differently from how they look. Needs no cluster.',
  flags: {},
  async run({ flags, output, env }) {
    const file = stringFlag(flags, 'config') ?? env.MIRRORKIT_CONFIG;
    if (!file)
      throw new MirrorKitCliError('CLI_USAGE', 'pass --config <mm2.properties> (or set MIRRORKIT_CONFIG)');
    if (!file.endsWith('.properties'))
      throw new MirrorKitCliError('CLI_USAGE', `${file}: config check reads an mm2.properties file`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new MirrorKitCliError(
        'CLI_CONFIG',
        `${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read: ${(error as Error).message}`}`,
        { cause: error },
      );
    }
    const result = checkMirrorMakerConfig(text, file, env);
    output.result(result, () => formatConfigCheck(result, output.colors));
    const exit: Record<ConfigCheckResult['verdict'], ExitCode> = {
      ok: EXIT.OK,
      warn: EXIT.WARN,
      invalid: EXIT.FAILED,
    };
    return exit[result.verdict];
  },
};
