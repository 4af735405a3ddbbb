import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MirrorKitSeenKeyCodecError } from '../errors.js';
import { decodeSeenKey, encodeSeenAt } from './seen-key-codec.js';

describe('seen-key records', () => {
  it('round-trips any key and time', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, unit: 'grapheme' }),
        fc.integer({ min: 0, max: 2 ** 50 }),
        (key, at) => {
          expect(decodeSeenKey(Buffer.from(key), encodeSeenAt(at))).toEqual({ key, seenAtMs: at });
        },
      ),
    );
  });

  it('has a fixed layout: MK, version 1, int64 big-endian ms', () => {
    expect(encodeSeenAt(0x0102030405).toString('hex')).toBe('4d4b010000000102030405');
  });

  it('refuses foreign and corrupt records with a typed error', () => {
    const good = encodeSeenAt(5);
    const cases: [Buffer | null, Buffer | null][] = [
      [null, good],
      [Buffer.alloc(0), good],
      [Buffer.from('k'), null],
      [Buffer.from('k'), Buffer.from('{"json":true}')],
      [Buffer.from('k'), good.subarray(0, 10)],
      [Buffer.from('k'), Buffer.concat([good.subarray(0, 2), Buffer.from([2]), good.subarray(3)])],
      [Buffer.from('k'), Buffer.from('4d4b01ffffffffffffffff', 'hex')],
      [Buffer.from([0xff, 0xfe]), good],
    ];
    for (const [key, value] of cases)
      expect(() => decodeSeenKey(key, value)).toThrow(MirrorKitSeenKeyCodecError);
  });
});
