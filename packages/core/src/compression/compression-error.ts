import { MirrorKitError } from '../errors.js';
import type { CompressionCodecName } from './compression-type.js';

/** Codes of {@link MirrorKitCompressionError}. */
export type CompressionErrorCode =
  /** The codec's native binding could not be loaded on this platform. */
  | 'COMPRESSION_CODEC_UNAVAILABLE'
  /** Bytes that claim a codec but do not decompress with it. */
  | 'COMPRESSION_CORRUPT'
  /** The codec refused to compress (only a broken binding does). */
  | 'COMPRESSION_FAILED'
  /** A `compression.type` value Kafka does not have. */
  | 'COMPRESSION_UNKNOWN_TYPE';

/** A record batch that could not be compressed or decompressed; names the codec and why. */
export class MirrorKitCompressionError extends MirrorKitError {
  declare readonly code: CompressionErrorCode;
  /** The codec involved, or `undefined` for an unknown `compression.type`. */
  readonly codec: CompressionCodecName | undefined;

  constructor(
    code: CompressionErrorCode,
    codec: CompressionCodecName | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.codec = codec;
  }
}
