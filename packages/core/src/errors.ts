/**
 * Base class of every error MirrorKit throws on purpose. `code` is stable and meant for programs;
 * `message` is for people and always names what was wrong.
 */
export class MirrorKitError extends Error {
  /** A stable machine-readable code, e.g. `CODEC_TRUNCATED` or `CONFIG_UNKNOWN_ALIAS`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
