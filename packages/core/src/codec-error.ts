import { MirrorKitError } from './errors.js';

/** What was wrong with bytes (or a value) that a codec refused. */
export type CodecErrorCode =
  | 'CODEC_TRUNCATED'
  | 'CODEC_TRAILING_BYTES'
  | 'CODEC_UNKNOWN_VERSION'
  | 'CODEC_INVALID_UTF8'
  | 'CODEC_NEGATIVE_LENGTH'
  | 'CODEC_VALUE_OUT_OF_RANGE'
  | 'CODEC_STRING_TOO_LONG'
  | 'CODEC_NULL_FIELD';

/** The record kinds the codecs know: MM2's three, and MirrorKit's consumer progress. */
export type CodecRecordKind = 'checkpoint' | 'offset-sync' | 'heartbeat' | 'progress';

/** A record that cannot be encoded or decoded; names the record kind, the field and the problem. */
export class MirrorKitCodecError extends MirrorKitError {
  declare readonly code: CodecErrorCode;
  readonly record: CodecRecordKind;
  readonly field: string;

  constructor(code: CodecErrorCode, record: CodecRecordKind, field: string, detail: string) {
    super(code, `${record} ${field}: ${detail}`);
    this.record = record;
    this.field = field;
  }
}
