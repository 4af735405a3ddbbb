import kafkajs, { type CompressionTypes } from 'kafkajs';
import { MirrorKitCompressionError } from './compression-error.js';

/** Kafka's codecs, as `compression.type` spells them. */
export type CompressionCodecName = 'gzip' | 'snappy' | 'lz4' | 'zstd';

// kafkajs is CommonJS; Node's ESM loader cannot see CompressionTypes as a named export.
const { CompressionTypes: Types } = kafkajs;

const BY_NAME: Readonly<Record<string, CompressionTypes>> = {
  none: Types.None,
  gzip: Types.GZIP,
  snappy: Types.Snappy,
  lz4: Types.LZ4,
  zstd: Types.ZSTD,
};

/**
 * The kafkajs compression type for a producer's `compression.type` value (`none`, `gzip`,
 * `snappy`, `lz4`, `zstd`). Kafka's producer lower-cases the value before it looks it up, so
 * `ZSTD` is accepted too; anything else is a {@link MirrorKitCompressionError} naming `key`.
 */
export function compressionTypeOf(value: string, key = 'compression.type'): CompressionTypes {
  const type = BY_NAME[value.trim().toLowerCase()];
  if (type === undefined) {
    throw new MirrorKitCompressionError(
      'COMPRESSION_UNKNOWN_TYPE',
      undefined,
      `${key} must be one of none, gzip, snappy, lz4, zstd (got '${value}')`,
    );
  }
  return type;
}

/** The `compression.type` name of a kafkajs compression type. */
export function compressionNameOf(type: CompressionTypes): CompressionCodecName | 'none' {
  for (const [name, value] of Object.entries(BY_NAME)) {
    if (value === type) return name as CompressionCodecName | 'none';
  }
  return 'none';
}
