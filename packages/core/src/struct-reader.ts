import { type CodecRecordKind, MirrorKitCodecError } from './codec-error.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a Kafka protocol `Struct` field by field. Unlike Java's reader it refuses invalid UTF-8
 * (Java substitutes U+FFFD, which would silently change a group or topic name) and, through
 * {@link StructReader.end}, bytes left over after the last field.
 */
export class StructReader {
  readonly #record: CodecRecordKind;
  readonly #bytes: Buffer;
  #offset = 0;

  constructor(record: CodecRecordKind, bytes: Buffer) {
    this.#record = record;
    this.#bytes = bytes;
  }

  #need(field: string, count: number): void {
    if (this.#offset + count > this.#bytes.length) {
      throw new MirrorKitCodecError(
        'CODEC_TRUNCATED',
        this.#record,
        field,
        `needs ${count} bytes at position ${this.#offset} but only ${this.#bytes.length - this.#offset} remain`,
      );
    }
  }

  int16(field: string): number {
    this.#need(field, 2);
    const value = this.#bytes.readInt16BE(this.#offset);
    this.#offset += 2;
    return value;
  }

  int32(field: string, { nonNegative = false } = {}): number {
    this.#need(field, 4);
    const value = this.#bytes.readInt32BE(this.#offset);
    this.#offset += 4;
    if (nonNegative && value < 0) {
      throw new MirrorKitCodecError(
        'CODEC_VALUE_OUT_OF_RANGE',
        this.#record,
        field,
        `${value} must not be negative`,
      );
    }
    return value;
  }

  int64(field: string): bigint {
    this.#need(field, 8);
    const value = this.#bytes.readBigInt64BE(this.#offset);
    this.#offset += 8;
    return value;
  }

  string(field: string): string {
    const length = this.int16(field);
    if (length < 0) {
      throw new MirrorKitCodecError(
        'CODEC_NEGATIVE_LENGTH',
        this.#record,
        field,
        `string length ${length} is negative`,
      );
    }
    this.#need(field, length);
    const slice = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    try {
      return utf8.decode(slice);
    } catch {
      throw new MirrorKitCodecError('CODEC_INVALID_UTF8', this.#record, field, 'is not valid UTF-8');
    }
  }

  /** Refuses trailing bytes: a longer record is a different (or corrupt) format, not this one. */
  end(what: string): void {
    if (this.#offset !== this.#bytes.length) {
      throw new MirrorKitCodecError(
        'CODEC_TRAILING_BYTES',
        this.#record,
        what,
        `${this.#bytes.length - this.#offset} unexpected bytes after the last field`,
      );
    }
  }
}
