import { MirrorKitConfigError } from './config-error.js';

/** Entries of a `.properties` file, with the line each key was (last) defined on. */
export interface ParsedProperties {
  readonly entries: ReadonlyMap<string, string>;
  readonly lines: ReadonlyMap<string, number>;
}

/**
 * Parses text the way `java.util.Properties.load` does, since MM2 reads its file with it:
 * `#`/`!` comments, `key=value`, `key: value` and `key value`, a trailing odd backslash continuing
 * the line (the next line's leading whitespace dropped), and `\t \n \r \f \uXXXX` escapes. There
 * are no inline comments: in `a = 1 # one` the value is `1 # one`, trailing whitespace kept. Unlike
 * Java, a malformed `\u` escape is an error naming its line (and key) instead of an exception
 * without one; it never quotes a value, which may be a secret.
 */
export function parseJavaProperties(text: string): ParsedProperties {
  const entries = new Map<string, string>();
  const lines = new Map<string, number>();
  const raw = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < raw.length; i++) {
    const startLine = i + 1;
    let logical = (raw[i] as string).replace(/^[ \t\f]+/, '');
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    while (endsWithContinuation(logical) && i + 1 < raw.length) {
      logical = logical.slice(0, -1) + (raw[++i] as string).replace(/^[ \t\f]+/, '');
    }
    if (endsWithContinuation(logical)) logical = logical.slice(0, -1);
    let keyEnd = 0;
    while (keyEnd < logical.length) {
      const ch = logical[keyEnd];
      if (ch === '\\') keyEnd += 2;
      else if (ch === '=' || ch === ':' || ch === ' ' || ch === '\t' || ch === '\f') break;
      else keyEnd++;
    }
    let valueStart = keyEnd;
    while (valueStart < logical.length && /[ \t\f]/.test(logical[valueStart] as string)) valueStart++;
    if (valueStart < logical.length && (logical[valueStart] === '=' || logical[valueStart] === ':'))
      valueStart++;
    while (valueStart < logical.length && /[ \t\f]/.test(logical[valueStart] as string)) valueStart++;
    const key = unescapeJava(logical.slice(0, Math.min(keyEnd, logical.length)), startLine, undefined);
    const value = unescapeJava(logical.slice(valueStart), startLine, key);
    entries.set(key, value);
    lines.set(key, startLine);
  }
  return { entries, lines };
}

function endsWithContinuation(line: string): boolean {
  let slashes = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) slashes++;
  return slashes % 2 === 1;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { t: '\t', n: '\n', r: '\r', f: '\f' };

// `keyOfValue` is the key when `text` is its value: a value may be a secret, so its text never
// appears in the error.
function unescapeJava(text: string, line: number, keyOfValue: string | undefined): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = text[++i];
    if (next === undefined) break;
    if (next === 'u') {
      const hex = text.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        throw new MirrorKitConfigError(
          'CONFIG_MALFORMED_LINE',
          keyOfValue === undefined
            ? 'malformed \\u escape in a key (\\u takes four hex digits)'
            : `${keyOfValue}: malformed \\u escape in the value (\\u takes four hex digits; MM2 refuses the file)`,
          keyOfValue === undefined ? { line } : { key: keyOfValue, line },
        );
      }
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 4;
    } else {
      out += SIMPLE_ESCAPES[next] ?? next;
    }
  }
  return out;
}
