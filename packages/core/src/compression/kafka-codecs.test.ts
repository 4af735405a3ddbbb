import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { MirrorKitCompressionError } from './compression-error.js';
import { type CompressionObservation, observeCompression } from './compression-observer.js';
import { type CompressionCodecName, compressionNameOf, compressionTypeOf } from './compression-type.js';
import { compressRecords, decompressRecords } from './kafka-codecs.js';
import { registerCompressionCodecs } from './register-codecs.js';
import { decodeXerialSnappy, encodeXerialSnappy, isXerialSnappy } from './snappy-xerial.js';

registerCompressionCodecs();

const CODECS: readonly CompressionCodecName[] = ['gzip', 'snappy', 'lz4', 'zstd'];

function textLike(size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = 97 + ((i * 7 + (i >> 5)) % 23);
  return out;
}

describe('Kafka codecs', () => {
  const sizes = [0, 1, 32 * 1024 - 1, 32 * 1024, 32 * 1024 + 1, 64 * 1024 + 3, 300_000, 1_100_000];
  for (const codec of CODECS) {
    it(`${codec} round-trips payloads of every size, compressible or not`, async () => {
      for (const size of sizes) {
        for (const data of [textLike(size), randomBytes(size)]) {
          const compressed = await compressRecords(codec, data);
          expect((await decompressRecords(codec, compressed)).equals(data)).toBe(true);
        }
      }
      const text = textLike(200_000);
      expect((await compressRecords(codec, text)).length).toBeLessThan(text.length / 4);
    });

    it(`${codec} refuses bytes that do not decompress with a typed error naming the codec`, async () => {
      const good = await compressRecords(codec, textLike(100_000));
      const corrupt = [Buffer.from('not compressed at all, not at all'), good.subarray(0, good.length >> 1)];
      for (const bytes of corrupt) {
        const error = await decompressRecords(codec, bytes).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(MirrorKitCompressionError);
        expect((error as MirrorKitCompressionError).code).toBe('COMPRESSION_CORRUPT');
        expect((error as MirrorKitCompressionError).codec).toBe(codec);
        expect((error as Error).message).toMatch(new RegExp(`^${codec}: `));
      }
    });
  }

  it('lz4 writes the frame Kafka reads: magic, version 1, independent blocks, no checksums', async () => {
    const frame = await compressRecords('lz4', textLike(500_000));
    expect(frame.readUInt32LE(0)).toBe(0x184d2204);
    const flg = frame[4] ?? 0;
    expect(flg >> 6).toBe(1); // version
    expect(flg & 0x20).toBe(0x20); // block independence: Kafka's reader decodes blocks one by one
    expect(flg & 0x10).toBe(0); // no block checksums
    const maxBlock = ((frame[5] ?? 0) >> 4) & 0x07;
    expect(maxBlock).toBeGreaterThanOrEqual(4); // 64 KiB ..
    expect(maxBlock).toBeLessThanOrEqual(7); // .. 4 MiB, what Kafka's reader takes
  });

  it('lz4 reads the frame Kafka writes (64 KiB blocks, header checksum 0x82)', async () => {
    // A frame as Kafka's Lz4BlockOutputStream lays it out: one uncompressed block (high bit set).
    const payload = Buffer.from('kafka lz4 frame');
    const size = Buffer.alloc(4);
    size.writeUInt32LE((payload.length | 0x80000000) >>> 0, 0);
    const frame = Buffer.concat([
      Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]),
      size,
      payload,
      Buffer.alloc(4),
    ]);
    expect((await decompressRecords('lz4', frame)).toString()).toBe('kafka lz4 frame');
  });
});

describe('snappy-java framing', () => {
  const identity = (b: Buffer): Buffer => Buffer.from(b);

  it('writes the 16-byte header and 32 KiB blocks with big-endian lengths', () => {
    const framed = encodeXerialSnappy(textLike(70_000), identity);
    expect(framed.subarray(0, 16).toString('hex')).toBe('82534e41505059000000000100000001');
    expect(framed.readInt32BE(16)).toBe(32 * 1024);
    expect(framed.readInt32BE(16 + 4 + 32 * 1024)).toBe(32 * 1024);
    expect(framed.readInt32BE(16 + 2 * (4 + 32 * 1024))).toBe(70_000 - 64 * 1024);
    expect(framed.length).toBe(16 + 3 * 4 + 70_000);
    expect(isXerialSnappy(framed)).toBe(true);
  });

  it('reads raw snappy and concatenated streams as snappy-java does', () => {
    expect(decodeXerialSnappy(Buffer.from('raw'), identity).toString()).toBe('raw');
    const a = encodeXerialSnappy(Buffer.from('first,'), identity);
    const b = encodeXerialSnappy(Buffer.from('second'), identity);
    expect(decodeXerialSnappy(Buffer.concat([a, b]), identity).toString()).toBe('first,second');
  });

  it('a truncated stream is an error, never a shorter result', () => {
    const framed = encodeXerialSnappy(textLike(40_000), identity);
    expect(() => decodeXerialSnappy(framed.subarray(0, framed.length - 10), identity)).toThrow(
      /runs past the end/,
    );
    expect(() => decodeXerialSnappy(framed.subarray(0, 18), identity)).toThrow(/truncated block length/);
  });
});

describe('compression.type', () => {
  it('maps every name Kafka has, in any case, and back', () => {
    for (const name of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
      expect(compressionNameOf(compressionTypeOf(name.toUpperCase()))).toBe(name);
    }
  });

  it('an unknown value is a typed error naming the key', () => {
    expect(() => compressionTypeOf('brotli', 'us-west.producer.compression.type')).toThrow(
      /us-west\.producer\.compression\.type must be one of none, gzip, snappy, lz4, zstd \(got 'brotli'\)/,
    );
  });

  it('registering teaches kafkajs all four codecs', () => {
    const table = kafkajs.CompressionCodecs as unknown as Record<number, () => unknown>;
    for (const type of [1, 2, 3, 4]) {
      const codec = table[type]?.() as { decompress?: unknown } | undefined;
      expect(typeof codec?.decompress).toBe('function');
    }
  });

  it('an observer sees the batches kafkajs (de)compresses in its async context, and only those', async () => {
    const table = kafkajs.CompressionCodecs as unknown as Record<
      number,
      () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }
    >;
    const zstdCodec = table[4]?.();
    if (!zstdCodec) throw new Error('zstd is not registered');
    const seen: CompressionObservation[] = [];
    const data = textLike(50_000);
    const compressed = await observeCompression(
      (o) => seen.push(o),
      async () => {
        await new Promise((r) => setTimeout(r, 1)); // the context survives awaits
        const out = await zstdCodec.compress({ buffer: data });
        await zstdCodec.decompress(out);
        return out;
      },
    );
    await zstdCodec.decompress(compressed); // outside: not seen
    expect(seen).toEqual([
      { codec: 'zstd', direction: 'compress', uncompressedBytes: 50_000, compressedBytes: compressed.length },
      {
        codec: 'zstd',
        direction: 'decompress',
        uncompressedBytes: 50_000,
        compressedBytes: compressed.length,
      },
    ]);
  });
});
