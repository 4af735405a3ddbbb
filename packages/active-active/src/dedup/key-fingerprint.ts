import { Buffer } from 'node:buffer';

/** A 64-bit fingerprint as two unsigned 32-bit halves; never both zero (zero marks a free slot). */
export interface Fingerprint {
  hi: number;
  lo: number;
}

/**
 * Hashes a key to 64 bits with two multiply-xorshift lanes that mix into each other at the end.
 * Not cryptographic: it only has to spread region keys evenly so that two different keys share a
 * fingerprint with probability about 2^-64. Writes into `out` to avoid an allocation per call.
 *
 * An ASCII key (region keys in practice) is hashed four characters a step, exactly as
 * {@link fingerprintAscii} hashes its bytes, so a key is the same as text and as bytes; any other
 * key is hashed two UTF-16 code units a step, from a different seed.
 */
export function fingerprint(key: string, out: Fingerprint): Fingerprint {
  const n = key.length;
  let h1 = SEED1 ^ n;
  let h2 = SEED2 ^ n;
  let any = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a = key.charCodeAt(i);
    const b = key.charCodeAt(i + 1);
    const c = key.charCodeAt(i + 2);
    const d = key.charCodeAt(i + 3);
    any |= a | b | c | d;
    const w = a | (b << 8) | (c << 16) | (d << 24);
    h1 = Math.imul(h1 ^ w, M1);
    h2 = Math.imul(h2 ^ w, M2);
  }
  for (; i < n; i++) {
    const w = key.charCodeAt(i);
    any |= w;
    h1 = Math.imul(h1 ^ w, M1);
    h2 = Math.imul(h2 ^ w, M2);
  }
  // Four code units of 16 bits do not fit in a word: past ASCII, two at a time.
  if (any >= 0x80) return fingerprintWide(key, out);
  return finish(h1, h2, out);
}

function fingerprintWide(key: string, out: Fingerprint): Fingerprint {
  const n = key.length;
  let h1 = WIDE_SEED1 ^ n;
  let h2 = WIDE_SEED2 ^ n;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const w = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16);
    h1 = Math.imul(h1 ^ w, M1);
    h2 = Math.imul(h2 ^ w, M2);
  }
  if (i < n) {
    const w = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ w, M1);
    h2 = Math.imul(h2 ^ w, M2);
  }
  return finish(h1, h2, out);
}

/**
 * {@link fingerprint} of an ASCII key given as bytes, straight from them (no string is made): for
 * ASCII, bytes and UTF-16 code units are the same numbers. Returns false, leaving `out` undefined,
 * when a byte is not ASCII.
 */
export function fingerprintAscii(bytes: Uint8Array, out: Fingerprint): boolean {
  const n = bytes.length;
  let h1 = SEED1 ^ n;
  let h2 = SEED2 ^ n;
  let any = 0;
  let i = 0;
  // Four bytes a step: one multiplication per lane for four loads, which are most of the cost.
  for (; i + 3 < n; i += 4) {
    const w =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    any |= w;
    h1 = Math.imul(h1 ^ w, M1);
    h2 = Math.imul(h2 ^ w, M2);
  }
  for (; i < n; i++) {
    const w = bytes[i] as number;
    any |= w;
    h1 = Math.imul(h1 ^ w, M1);
    h2 = Math.imul(h2 ^ w, M2);
  }
  if ((any & 0x80808080) !== 0) return false;
  finish(h1, h2, out);
  return true;
}

const SEED1 = 0xdeadbeef;
const SEED2 = 0x41c6ce57;
const WIDE_SEED1 = 0x2545f491;
const WIDE_SEED2 = 0x7f4a7c15;
const M1 = 0x9e3779b1;
const M2 = 0x5bd1e995;

/**
 * The key that `bytes` stand for: their UTF-8 decoding, exactly as kafkajs users read a record key
 * (`message.key.toString()`; malformed sequences become U+FFFD).
 */
export function keyText(bytes: Uint8Array): string {
  return (
    Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  ).toString('utf8');
}

/**
 * The fingerprint of the key whose UTF-8 encoding is `bytes`: always equal to
 * `fingerprint(keyText(bytes))`, so a key is the same dedup key as bytes or as text. ASCII keys
 * (region keys in practice) are hashed from the bytes; others are decoded first.
 */
export function fingerprintBytes(bytes: Uint8Array, out: Fingerprint): Fingerprint {
  return fingerprintAscii(bytes, out) ? out : fingerprint(keyText(bytes), out);
}

function finish(a: number, b: number, out: Fingerprint): Fingerprint {
  let h1 = a;
  let h2 = b;
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  h1 = Math.imul(h1 ^ (h1 >>> 15), 0x27d4eb2f) ^ (h2 >>> 7);
  out.hi = h1 >>> 0;
  out.lo = h2 >>> 0;
  if (out.hi === 0 && out.lo === 0) out.lo = 1;
  return out;
}
