/** A 64-bit fingerprint as two unsigned 32-bit halves; never both zero (zero marks a free slot). */
export interface Fingerprint {
  hi: number;
  lo: number;
}

/**
 * Hashes a key to 64 bits with two multiply-xorshift lanes that mix into each other at the end.
 * Not cryptographic: it only has to spread region keys evenly so that two different keys share a
 * fingerprint with probability about 2^-64. Writes into `out` to avoid an allocation per call.
 */
export function fingerprint(key: string, out: Fingerprint): Fingerprint {
  let h1 = 0xdeadbeef ^ key.length;
  let h2 = 0x41c6ce57 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x9e3779b1);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
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
