import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Fingerprint,
  fingerprint,
  fingerprintAscii,
  fingerprintBytes,
  keyText,
} from './key-fingerprint.js';

const of = (key: string): Fingerprint => fingerprint(key, { hi: 0, lo: 0 });
const ofBytes = (bytes: Uint8Array): Fingerprint => fingerprintBytes(bytes, { hi: 0, lo: 0 });

describe('key fingerprints', () => {
  it('gives a key the same fingerprint as bytes and as text, for any bytes (the text being their decoding)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(ofBytes(bytes)).toEqual(of(Buffer.from(bytes).toString()));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives a string the fingerprint of its UTF-8 bytes (any well-formed string, region keys included)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => s.isWellFormed()),
          fc.string({ unit: 'binary-ascii', maxLength: 40 }),
          fc
            .tuple(fc.constantFrom('us-east', 'eu-west', 'ap-south'), fc.uuid())
            .map(([r, id]) => `${r}:${id}`),
        ),
        (key) => {
          expect(ofBytes(Buffer.from(key, 'utf8'))).toEqual(of(key));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('hashes ASCII bytes directly and hands anything else back to the text path', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (bytes) => {
        const out = { hi: 0, lo: 0 };
        const ascii = bytes.every((b) => b < 0x80);
        expect(fingerprintAscii(bytes, out)).toBe(ascii);
        if (ascii) expect(out).toEqual(of(Buffer.from(bytes).toString('latin1')));
      }),
    );
  });

  it('reads only the view it is given (Buffer slices from a larger fetch, plain Uint8Arrays)', () => {
    const fetch = Buffer.from('xxus-east:order-1yyus-west:é-2zz');
    const a = fetch.subarray(2, 17);
    const b = new Uint8Array(fetch.buffer, fetch.byteOffset + 19, Buffer.byteLength('us-west:é-2'));
    expect(keyText(a)).toBe('us-east:order-1');
    expect(keyText(b)).toBe('us-west:é-2');
    expect(ofBytes(a)).toEqual(of('us-east:order-1'));
    expect(ofBytes(b)).toEqual(of('us-west:é-2'));
  });

  it('tells apart keys past ASCII whose code units would pack into the same words four at a time', () => {
    // 0x100 in the first unit and 0x01 in the second both land on bit 8 of a four-unit word.
    const a = String.fromCharCode(0x100, 0, 0, 0);
    const b = String.fromCharCode(0, 1, 0, 0);
    expect(of(a)).not.toEqual(of(b));
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
        (x, y) => {
          fc.pre(x !== y);
          expect(of(x)).not.toEqual(of(y));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never returns the all-zero fingerprint (it marks a free slot) and spreads similar keys', () => {
    const seen = new Set<string>();
    let zero = 0;
    for (let i = 0; i < 100_000; i++) {
      const fp = of(`us-east:order-${i}`);
      if (fp.hi === 0 && fp.lo === 0) zero++;
      seen.add(`${fp.hi}:${fp.lo}`);
    }
    expect(zero).toBe(0);
    expect(seen.size).toBe(100_000);
  });
});
