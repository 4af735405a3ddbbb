// Kafka's Java client writes snappy through snappy-java's SnappyOutputStream, not raw snappy: a
// 16-byte header (magic, version 1, compatible version 1), then blocks of at most 32 KiB, each a
// big-endian length and the raw snappy bytes. Its reader also takes raw snappy (no header) and
// streams concatenated after one another, so the decoder here does the same: librdkafka and other
// clients write either form.

const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const HEADER = Buffer.concat([MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])]);
const BLOCK_SIZE = 32 * 1024;

/** Frames `data` as snappy-java's SnappyOutputStream does, compressing each block with `block`. */
export function encodeXerialSnappy(data: Buffer, block: (raw: Buffer) => Buffer): Buffer {
  const parts: Buffer[] = [HEADER];
  for (let start = 0; start < data.length; start += BLOCK_SIZE) {
    const compressed = block(data.subarray(start, Math.min(start + BLOCK_SIZE, data.length)));
    const length = Buffer.allocUnsafe(4);
    length.writeInt32BE(compressed.length, 0);
    parts.push(length, compressed);
  }
  return Buffer.concat(parts);
}

/** True when `data` starts with snappy-java's stream header. */
export function isXerialSnappy(data: Buffer): boolean {
  return data.length >= HEADER.length && data.subarray(0, MAGIC.length).equals(MAGIC);
}

/**
 * Reads a snappy-java stream (or raw snappy) back, uncompressing each block with `block`. A
 * truncated block is an error, never a shorter result: a missing tail would be lost records.
 */
export function decodeXerialSnappy(data: Buffer, block: (compressed: Buffer) => Buffer): Buffer {
  if (!isXerialSnappy(data)) return block(data);
  const parts: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    if (data.length - at >= HEADER.length && data.subarray(at, at + MAGIC.length).equals(MAGIC)) {
      at += HEADER.length;
      continue;
    }
    if (data.length - at < 4) throw new Error(`truncated block length at byte ${at}`);
    const length = data.readInt32BE(at);
    at += 4;
    if (length < 0 || length > data.length - at) {
      throw new Error(`block of ${length} bytes at byte ${at - 4} runs past the end (${data.length})`);
    }
    parts.push(block(data.subarray(at, at + length)));
    at += length;
  }
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}
