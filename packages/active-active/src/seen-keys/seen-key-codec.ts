import { MirrorKitSeenKeyCodecError } from '../errors.js';

// Value layout: "MK" magic, version byte 1, first-seen time as int64 ms (big-endian). The key of
// the record is the dedup key itself, so compaction keeps one record per key.
const MAGIC_0 = 0x4d;
const MAGIC_1 = 0x4b;
const VERSION = 1;
const LENGTH = 11;

/** The value of a seen-key record. */
export function encodeSeenAt(seenAtMs: number): Buffer {
  const value = Buffer.alloc(LENGTH);
  value[0] = MAGIC_0;
  value[1] = MAGIC_1;
  value[2] = VERSION;
  value.writeBigInt64BE(BigInt(Math.floor(seenAtMs)), 3);
  return value;
}

/** Reads a seen-key record; throws {@link MirrorKitSeenKeyCodecError} for anything else. */
export function decodeSeenKey(key: Buffer | null, value: Buffer | null): { key: string; seenAtMs: number } {
  if (key === null || key.length === 0) throw new MirrorKitSeenKeyCodecError('seen-key record without a key');
  if (value === null || value.length !== LENGTH || value[0] !== MAGIC_0 || value[1] !== MAGIC_1)
    throw new MirrorKitSeenKeyCodecError(
      `value of ${value?.length ?? 'null'} bytes is not a seen-key record`,
    );
  if (value[2] !== VERSION)
    throw new MirrorKitSeenKeyCodecError(`unknown seen-key record version ${value[2]}`);
  const seenAtMs = Number(value.readBigInt64BE(3));
  if (!Number.isSafeInteger(seenAtMs) || seenAtMs < 0)
    throw new MirrorKitSeenKeyCodecError(`seen-key time ${seenAtMs} is out of range`);
  const text = new TextDecoder('utf-8', { fatal: true });
  try {
    return { key: text.decode(key), seenAtMs };
  } catch {
    throw new MirrorKitSeenKeyCodecError('seen-key record key is not UTF-8');
  }
}
