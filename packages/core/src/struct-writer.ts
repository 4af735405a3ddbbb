import { type CodecRecordKind, MirrorKitCodecError } from './codec-error.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Kafka's `Type.STRING` carries its UTF-8 length in an int16. */
export const MAX_STRING_BYTES = 0x7fff;

/**
 * Writes the fields of a Kafka protocol `Struct` in order, the layout MM2 uses for its internal
 * records: big-endian integers and int16-length-prefixed UTF-8 strings, with no framing.
 */
export class StructWriter {
  readonly #record: CodecRecordKind;
  readonly #chunks: Buffer[] = [];

  constructor(record: CodecRecordKind) {
    this.#record = record;
  }

  #fail(
    field: string,
    detail: string,
    code:
      | 'CODEC_VALUE_OUT_OF_RANGE'
      | 'CODEC_STRING_TOO_LONG'
      | 'CODEC_NULL_FIELD' = 'CODEC_VALUE_OUT_OF_RANGE',
  ): never {
    throw new MirrorKitCodecError(code, this.#record, field, detail);
  }

  int16(field: string, value: number): this {
    if (!Number.isInteger(value) || value < -0x8000 || value > 0x7fff)
      this.#fail(field, `${value} is not an int16`);
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(value);
    this.#chunks.push(b);
    return this;
  }

  int32(field: string, value: number, { nonNegative = false } = {}): this {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff)
      this.#fail(field, `${value} is not an int32`);
    if (nonNegative && value < 0) this.#fail(field, `${value} must not be negative`);
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(value);
    this.#chunks.push(b);
    return this;
  }

  int64(field: string, value: bigint): this {
    if (typeof value !== 'bigint') this.#fail(field, `expected a bigint, got ${typeof value}`);
    if (value < INT64_MIN || value > INT64_MAX) this.#fail(field, `${value} is not an int64`);
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(value);
    this.#chunks.push(b);
    return this;
  }

  string(field: string, value: string): this {
    if (typeof value !== 'string')
      this.#fail(field, 'must be a string (MM2 strings are not nullable)', 'CODEC_NULL_FIELD');
    if (!value.isWellFormed()) this.#fail(field, 'contains a lone surrogate, which has no UTF-8 form');
    const bytes = Buffer.from(value, 'utf8');
    if (bytes.length > MAX_STRING_BYTES) {
      this.#fail(
        field,
        `${bytes.length} UTF-8 bytes exceed Kafka's string limit of ${MAX_STRING_BYTES}`,
        'CODEC_STRING_TOO_LONG',
      );
    }
    const length = Buffer.allocUnsafe(2);
    length.writeInt16BE(bytes.length);
    this.#chunks.push(length, bytes);
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}
