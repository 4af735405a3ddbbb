import { MirrorKitError } from './errors.js';

/** Codes of {@link MirrorKitConfigError}. */
export type ConfigErrorCode =
  | 'CONFIG_MALFORMED_LINE'
  | 'CONFIG_UNKNOWN_KEY'
  | 'CONFIG_INVALID_VALUE'
  | 'CONFIG_UNKNOWN_ALIAS'
  | 'CONFIG_MISSING'
  /** A security setting MirrorKit cannot honour; refused rather than connecting less securely. */
  | 'CONFIG_UNSUPPORTED_SECURITY'
  /** A keystore, truststore or other file a setting names cannot be read. */
  | 'CONFIG_UNREADABLE_FILE';

/**
 * A configuration that cannot be used; names the key and, for files, the line. Values of keys
 * that look secret never appear in the message.
 */
export class MirrorKitConfigError extends MirrorKitError {
  declare readonly code: ConfigErrorCode;
  readonly key: string | undefined;
  readonly line: number | undefined;

  constructor(code: ConfigErrorCode, message: string, where: { key?: string; line?: number } = {}) {
    super(code, where.line !== undefined ? `line ${where.line}: ${message}` : message);
    this.key = where.key;
    this.line = where.line;
  }
}

const SECRET_KEY = /(password|secret|jaas\.config|token|credential|private|\.key$|sasl\.)/i;

/** True for keys whose values must never be logged or put in an error message. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A value as it may be shown to people: `[redacted]` for secret keys. */
export function redact(key: string, value: string): string {
  return isSecretKey(key) ? '[redacted]' : value;
}
