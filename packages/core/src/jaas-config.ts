/** One login module entry of a `sasl.jaas.config` value. */
export interface JaasLoginModule {
  /** Fully qualified class name, e.g. `org.apache.kafka.common.security.scram.ScramLoginModule`. */
  readonly loginModule: string;
  /** `required`, `requisite`, `sufficient` or `optional`. */
  readonly flag: string;
  /** Options with quoted values unescaped as Java's StreamTokenizer does. */
  readonly options: ReadonlyMap<string, string>;
}

/**
 * A `sasl.jaas.config` value that cannot be parsed. The message gives the column only: the text
 * holds passwords, so no part of it is ever quoted.
 */
export class JaasSyntaxError extends Error {
  readonly column: number;

  constructor(reason: string, column: number) {
    super(`${reason} at column ${column}`);
    this.name = 'JaasSyntaxError';
    this.column = column;
  }
}

const FLAGS = new Set(['required', 'requisite', 'sufficient', 'optional']);
// StreamTokenizer's escapes inside quotes (besides octal); any other escaped character is itself.
const ESCAPES: Readonly<Record<string, string>> = {
  a: '\u0007',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\u000b',
};

type Token =
  | { kind: 'word'; text: string; column: number }
  | { kind: 'quoted'; text: string; column: number }
  | { kind: 'symbol'; text: '=' | ';'; column: number };

function isWordChar(ch: string): boolean {
  return /[A-Za-z0-9_$.\-+/:@*&%!#^~?[\]{}|,<>]/.test(ch);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
    } else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new JaasSyntaxError('unterminated comment', i + 1);
      i = end + 2;
    } else if (ch === '=' || ch === ';') {
      tokens.push({ kind: 'symbol', text: ch, column: i + 1 });
      i++;
    } else if (ch === '"' || ch === "'") {
      const column = i + 1;
      let out = '';
      i++;
      for (;;) {
        const c = text[i];
        if (c === undefined || c === '\n' || c === '\r')
          throw new JaasSyntaxError('unterminated quoted value', column);
        if (c === ch) {
          i++;
          break;
        }
        if (c !== '\\') {
          out += c;
          i++;
          continue;
        }
        const next = text[i + 1];
        if (next === undefined) throw new JaasSyntaxError('unterminated quoted value', column);
        // StreamTokenizer reads a third octal digit only when the first is 0-3 (value ≤ 0377).
        const octal = /^(?:[0-3][0-7]{0,2}|[4-7][0-7]?)/.exec(text.slice(i + 1, i + 4));
        if (octal) {
          const digits = octal[0];
          out += String.fromCharCode(Number.parseInt(digits, 8));
          i += 1 + digits.length;
        } else {
          out += ESCAPES[next] ?? next;
          i += 2;
        }
      }
      tokens.push({ kind: 'quoted', text: out, column });
    } else if (isWordChar(ch)) {
      const start = i;
      while (i < text.length && isWordChar(text[i] as string)) i++;
      tokens.push({ kind: 'word', text: text.slice(start, i), column: start + 1 });
    } else {
      throw new JaasSyntaxError('unexpected character', i + 1);
    }
  }
  return tokens;
}

/**
 * Parses a `sasl.jaas.config` value the way Kafka's JaasConfig does: `LoginModule flag key=value
 * … ;`, one or more entries, values bare words or quoted strings (double or single quotes) with
 * backslash escapes, `//` and `/* *\/` comments. Throws {@link JaasSyntaxError}, which never quotes
 * the text.
 */
export function parseJaasConfig(text: string): JaasLoginModule[] {
  const tokens = tokenize(text);
  const modules: JaasLoginModule[] = [];
  let i = 0;
  const end = text.length + 1;
  while (i < tokens.length) {
    const module = tokens[i++];
    if (module?.kind !== 'word')
      throw new JaasSyntaxError('expected a login module class', module?.column ?? end);
    const flag = tokens[i++];
    if (flag?.kind !== 'word' || !FLAGS.has(flag.text.toLowerCase()))
      throw new JaasSyntaxError('expected required, requisite, sufficient or optional', flag?.column ?? end);
    const options = new Map<string, string>();
    for (;;) {
      const token = tokens[i++];
      if (token === undefined) throw new JaasSyntaxError('expected ";" after the login module options', end);
      if (token.kind === 'symbol' && token.text === ';') break;
      if (token.kind !== 'word') throw new JaasSyntaxError('expected an option name', token.column);
      const eq = tokens[i++];
      if (eq?.kind !== 'symbol' || eq.text !== '=')
        throw new JaasSyntaxError('expected "="', eq?.column ?? end);
      const value = tokens[i++];
      if (value === undefined || value.kind === 'symbol')
        throw new JaasSyntaxError('expected an option value', value?.column ?? end);
      options.set(token.text, value.text);
    }
    modules.push({ loginModule: module.text, flag: flag.text.toLowerCase(), options });
  }
  if (modules.length === 0) throw new JaasSyntaxError('no login module', 1);
  return modules;
}
