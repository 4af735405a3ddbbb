import { promisify } from 'node:util';
import { gzip as gzipCallback, unzip as unzipCallback } from 'node:zlib';
import { MirrorKitCompressionError } from './compression-error.js';
import type { CompressionCodecName } from './compression-type.js';
import { lazyBinding } from './native-binding.js';
import { decodeXerialSnappy, encodeXerialSnappy } from './snappy-xerial.js';

/** One Kafka codec over whole record-batch payloads. */
export interface KafkaCodec {
  compress(data: Buffer): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

interface Lz4Binding {
  compressFrame(data: Uint8Array): Promise<Buffer>;
  decompressFrame(data: Uint8Array): Promise<Buffer>;
}
interface SnappyBinding {
  compressSync(data: Buffer): Buffer;
  uncompressSync(data: Uint8Array, options?: { asBuffer: true }): Buffer;
}
interface ZstdBinding {
  compress(data: Buffer, level?: number): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

const lz4 = lazyBinding<Lz4Binding>('lz4', 'lz4-napi');
const snappy = lazyBinding<SnappyBinding>('snappy', 'snappy');
const zstd = lazyBinding<ZstdBinding>('zstd', '@mongodb-js/zstd');
const gzip = promisify(gzipCallback);
const unzip = promisify(unzipCallback);

// Java's producer compresses zstd at level 3 (zstd's own default) unless compression.zstd.level
// says otherwise; the same here, so a copy costs what the original did.
const ZSTD_LEVEL = 3;

const codecs: Readonly<Record<CompressionCodecName, KafkaCodec>> = {
  gzip: { compress: (data) => gzip(data), decompress: (data) => unzip(data) },
  // LZ4 frames (Kafka's format since message format v1): independent blocks, no checksums, as
  // Kafka's Lz4BlockOutputStream writes them; lz4_flex's frames use 256 KiB blocks, which Kafka's
  // reader accepts (it takes 64 KiB to 4 MiB).
  lz4: {
    compress: (data) => lz4().compressFrame(data),
    decompress: (data) => lz4().decompressFrame(data),
  },
  snappy: {
    compress: async (data) => encodeXerialSnappy(data, (block) => snappy().compressSync(block)),
    decompress: async (data) =>
      decodeXerialSnappy(data, (block) => snappy().uncompressSync(block, { asBuffer: true })),
  },
  zstd: {
    compress: (data) => zstd().compress(data, ZSTD_LEVEL),
    decompress: (data) => zstd().decompress(data),
  },
};

/**
 * Compresses a record batch's records with `codec`, exactly as Kafka's Java client frames them.
 * Failures are {@link MirrorKitCompressionError}s naming the codec.
 */
export async function compressRecords(codec: CompressionCodecName, data: Buffer): Promise<Buffer> {
  try {
    return await codecs[codec].compress(data);
  } catch (error) {
    throw asCompressionError(
      error,
      'COMPRESSION_FAILED',
      codec,
      `${codec}: could not compress ${data.length} bytes`,
    );
  }
}

/**
 * Decompresses a record batch's records written by any Kafka client with `codec`. Bytes that do
 * not decompress are a {@link MirrorKitCompressionError} (`COMPRESSION_CORRUPT`), never fewer
 * records.
 */
export async function decompressRecords(codec: CompressionCodecName, data: Buffer): Promise<Buffer> {
  try {
    return await codecs[codec].decompress(data);
  } catch (error) {
    throw asCompressionError(
      error,
      'COMPRESSION_CORRUPT',
      codec,
      `${codec}: ${data.length} compressed bytes do not decompress`,
    );
  }
}

function asCompressionError(
  error: unknown,
  code: 'COMPRESSION_FAILED' | 'COMPRESSION_CORRUPT',
  codec: CompressionCodecName,
  what: string,
): MirrorKitCompressionError {
  if (error instanceof MirrorKitCompressionError) return error;
  const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new MirrorKitCompressionError(code, codec, `${what}: ${detail}`, { cause: error });
}
