import kafkajs from 'kafkajs';
import { currentCompressionObserver } from './compression-observer.js';
import type { CompressionCodecName } from './compression-type.js';
import { compressRecords, decompressRecords } from './kafka-codecs.js';
import { installFetchGuard } from './kafkajs-fetch-guard.js';

/** What kafkajs hands a codec to compress: its encoder, whose `buffer` holds the records. */
interface KafkajsEncoder {
  readonly buffer: Buffer;
}

interface KafkajsCodec {
  compress(encoder: KafkajsEncoder): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

// kafkajs is CommonJS; Node's ESM loader cannot see CompressionCodecs as a named export.
const { CompressionCodecs, CompressionTypes } = kafkajs;

const TYPES: readonly [number, CompressionCodecName][] = [
  [CompressionTypes.GZIP, 'gzip'],
  [CompressionTypes.Snappy, 'snappy'],
  [CompressionTypes.LZ4, 'lz4'],
  [CompressionTypes.ZSTD, 'zstd'],
];

let registered = false;

/**
 * Teaches kafkajs every codec Kafka has (it ships gzip only, and a consumer meeting one zstd, lz4
 * or snappy batch crashes), and installs the fetch guard that names a batch that does not decode
 * (see guardFetches). Importing any MirrorKit package calls it; calling it again does nothing. Every kafkajs client in the process then reads and writes all four codecs.
 */
export function registerCompressionCodecs(): void {
  if (registered) return;
  registered = true;
  installFetchGuard();
  const table = CompressionCodecs as unknown as Record<number, () => KafkajsCodec>;
  for (const [type, name] of TYPES) {
    // kafkajs calls the factory for every batch: hand out one object.
    const codec: KafkajsCodec = {
      compress: async (encoder) => {
        const raw = encoder.buffer;
        const compressed = await compressRecords(name, raw);
        currentCompressionObserver()?.({
          codec: name,
          direction: 'compress',
          uncompressedBytes: raw.length,
          compressedBytes: compressed.length,
        });
        return compressed;
      },
      decompress: async (buffer) => {
        const raw = await decompressRecords(name, buffer);
        currentCompressionObserver()?.({
          codec: name,
          direction: 'decompress',
          uncompressedBytes: raw.length,
          compressedBytes: buffer.length,
        });
        return raw;
      },
    };
    table[type] = () => codec;
  }
}
