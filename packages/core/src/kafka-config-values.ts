/**
 * How Kafka 3.9 turns the text of a setting into a value: `ConfigDef.parseType` for the keys a
 * ConfigDef declares, and `Boolean.parseBoolean` for the few keys MM2 reads as raw strings. A
 * function returns `undefined` where Kafka throws a ConfigException.
 */

/** Java's `String.trim()`: strips every char up to U+0020 at both ends, and nothing else (not NBSP). */
export function javaTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.slice(start, end);
}

// Java compares char by char, upper- then lower-cased, so e.g. 'ſ' equals 's'.
function javaEqualsIgnoreCase(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x === y) continue;
    const upperX = x.toUpperCase();
    const upperY = y.toUpperCase();
    if (upperX.length === 1 && upperX === upperY) continue;
    if (upperX.toLowerCase() !== upperY.toLowerCase()) return false;
  }
  return true;
}

/** ConfigDef BOOLEAN: the trimmed text is `true` or `false` in any case; anything else is refused. */
export function configDefBoolean(raw: string): boolean | undefined {
  const text = javaTrim(raw);
  if (javaEqualsIgnoreCase(text, 'true')) return true;
  if (javaEqualsIgnoreCase(text, 'false')) return false;
  return undefined;
}

/**
 * `Boolean.parseBoolean`: true only for exactly `true` in any case, untrimmed; everything else,
 * `true # comment` and `true ` included, is false. Never refuses.
 */
export function javaParseBoolean(raw: string | undefined): boolean {
  return raw !== undefined && javaEqualsIgnoreCase(raw, 'true');
}

/** The Java integer types ConfigDef knows. */
export type JavaIntegerType = 'short' | 'int' | 'long';

const INTEGER_RANGE: Readonly<Record<JavaIntegerType, readonly [bigint, bigint]>> = {
  short: [-(2n ** 15n), 2n ** 15n - 1n],
  int: [-(2n ** 31n), 2n ** 31n - 1n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
};

/**
 * ConfigDef SHORT, INT and LONG: `Short.parseShort`, `Integer.parseInt` or `Long.parseLong` of the
 * trimmed text (an optional sign, digits, within the type's range). Java also takes non-ASCII
 * digits (e.g. Arabic-Indic); this refuses them, which only ever makes MirrorKit stricter.
 */
export function configDefInteger(raw: string, type: JavaIntegerType): bigint | undefined {
  const text = javaTrim(raw);
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const value = BigInt(text);
  const [min, max] = INTEGER_RANGE[type];
  return value < min || value > max ? undefined : value;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: Java's \s includes the vertical tab.
const JAVA_LIST_SEPARATOR = /[ \t\n\x0B\f\r]*,[ \t\n\x0B\f\r]*/;

/** ConfigDef LIST: the trimmed text split at commas with the whitespace around them; empty → none. */
export function configDefList(raw: string): string[] {
  const text = javaTrim(raw);
  // Java's \s is ASCII whitespace only, and split(…, -1) keeps empty entries.
  return text === '' ? [] : text.split(JAVA_LIST_SEPARATOR);
}

/** Where a value seems to carry a comment: the text before it, and the comment itself. */
export interface InlineComment {
  /** The value as its author presumably meant it (before the comment, trimmed). */
  readonly intended: string;
  /** From the `#` or `!` on. */
  readonly comment: string;
}

/**
 * Finds what a reader takes for a comment after a value: `#` or `!` after whitespace, or a value
 * that starts with `#`. Java properties have comments on their own lines only, so MM2 reads all of
 * it as the value. (A leading `!` is not taken for one: passwords start with it.)
 */
export function inlineComment(raw: string): InlineComment | undefined {
  const match = /^#|[ \t\f]+[#!]/.exec(raw);
  if (!match) return undefined;
  return {
    intended: javaTrim(raw.slice(0, match.index)),
    comment: raw.slice(match.index).replace(/^[ \t\f]+/, ''),
  };
}
