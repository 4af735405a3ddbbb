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
 * The input is the key's UTF-16 code units; {@link fingerprintBytes} gives the same fingerprint
 * for the key's UTF-8 bytes.
 */
export function fingerprint(key: string, out: Fingerprint): Fingerprint {
  const n = key.length;
  let h1 = 0xdeadbeef ^ n;
  let h2 = 0x41c6ce57 ^ n;
  // Two code units a step (half the multiplications of one at a time); an odd last one alone.
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const w = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16);
    h1 = Math.imul(h1 ^ w, 0x9e3779b1);
    h2 = Math.imul(h2 ^ w, 0x5bd1e995);
  }
  if (i < n) {
    const w = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ w, 0x9e3779b1);
    h2 = Math.imul(h2 ^ w, 0x5bd1e995);
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
  let h1 = 0xdeadbeef ^ n;
  let h2 = 0x41c6ce57 ^ n;
  let any = 0;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const w = (bytes[i] as number) | ((bytes[i + 1] as number) << 16);
    any |= w;
    h1 = Math.imul(h1 ^ w, 0x9e3779b1);
    h2 = Math.imul(h2 ^ w, 0x5bd1e995);
  }
  if (i < n) {
    const w = bytes[i] as number;
    any |= w;
    h1 = Math.imul(h1 ^ w, 0x9e3779b1);
    h2 = Math.imul(h2 ^ w, 0x5bd1e995);
  }
  if ((any & 0x00800080) !== 0) return false;
  finish(h1, h2, out);
  return true;
}

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
