import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint-codec.js';
import { MirrorKitCodecError } from './codec-error.js';
import { decodeHeartbeat, encodeHeartbeat } from './heartbeat-codec.js';
import { decodeOffsetSync, encodeOffsetSync } from './offset-sync-codec.js';
import type { Checkpoint, Heartbeat, OffsetSync } from './records.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Vectors derived by hand from MM2's Schema definitions (Checkpoint.KEY_SCHEMA etc.): STRING is an
// int16 byte length then UTF-8; INT16/32/64 are big-endian. The same vectors were confirmed against
// MM2's own classes by the interop test (mm2-interop.int.test.ts).
const checkpoint: Checkpoint = {
  consumerGroupId: 'g',
  topic: 'us-east.orders',
  partition: 2,
  upstreamOffset: 100n,
  downstreamOffset: 90n,
  metadata: '',
};
const checkpointKey = hex(
  `
  0001 67                                   -- group: length 1, "g"
  000e 75732d656173742e6f7264657273         -- topic: length 14, "us-east.orders"
  00000002                                  -- partition 2`.replace(/--.*$/gm, ''),
);
const checkpointValue = hex(
  `
  0000                                      -- version 0
  0000000000000064                          -- upstream offset 100
  000000000000005a                          -- downstream offset 90
  0000                                      -- metadata: length 0`.replace(/--.*$/gm, ''),
);

const sync: OffsetSync = { topic: 'orders', partition: 1, upstreamOffset: 7n, downstreamOffset: 5n };
const syncKey = hex('0006 6f7264657273 00000001');
const syncValue = hex('0000000000000007 0000000000000005');

const beat: Heartbeat = {
  sourceClusterAlias: 'us-east',
  targetClusterAlias: 'us-west',
  timestamp: 1_700_000_000_000n,
};
const beatKey = hex('0007 75732d65617374 0007 75732d77657374');
const beatValue = hex('0000 0000018bcfe56800');

function codecError(fn: () => unknown): MirrorKitCodecError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MirrorKitCodecError);
    return error as MirrorKitCodecError;
  }
  throw new Error('expected a MirrorKitCodecError');
}

describe('byte layout', () => {
  it('encodes a checkpoint exactly as MM2', () => {
    const { key, value } = encodeCheckpoint(checkpoint);
    expect(key.toString('hex')).toBe(checkpointKey.toString('hex'));
    expect(value.toString('hex')).toBe(checkpointValue.toString('hex'));
    expect(decodeCheckpoint(checkpointKey, checkpointValue)).toEqual(checkpoint);
  });

  it('encodes an offset sync exactly as MM2 (no version header)', () => {
    const { key, value } = encodeOffsetSync(sync);
    expect(key.equals(syncKey)).toBe(true);
    expect(value.equals(syncValue)).toBe(true);
    expect(decodeOffsetSync(syncKey, syncValue)).toEqual(sync);
  });

  it('encodes a heartbeat exactly as MM2', () => {
    const { key, value } = encodeHeartbeat(beat);
    expect(key.equals(beatKey)).toBe(true);
    expect(value.equals(beatValue)).toBe(true);
    expect(decodeHeartbeat(beatKey, beatValue)).toEqual(beat);
  });

  it('writes multi-byte UTF-8 lengths in bytes, not characters', () => {
    const { key } = encodeCheckpoint({ ...checkpoint, consumerGroupId: 'ü🙂' });
    expect(key.subarray(0, 8).toString('hex')).toBe('0006c3bcf09f9982');
  });

  it('round-trips int64 extremes', () => {
    const extreme = { ...checkpoint, upstreamOffset: 2n ** 63n - 1n, downstreamOffset: -(2n ** 63n) };
    const { key, value } = encodeCheckpoint(extreme);
    expect(decodeCheckpoint(key, value)).toEqual(extreme);
  });
});

describe('refusing bad bytes', () => {
  const records = [
    { name: 'checkpoint', key: checkpointKey, value: checkpointValue, decode: decodeCheckpoint },
    { name: 'offset-sync', key: syncKey, value: syncValue, decode: decodeOffsetSync },
    { name: 'heartbeat', key: beatKey, value: beatValue, decode: decodeHeartbeat },
  ] as const;

  for (const r of records) {
    it(`${r.name}: every truncation of key or value is CODEC_TRUNCATED, naming the field`, () => {
      for (let n = 0; n < r.key.length; n++) {
        const e = codecError(() => r.decode(r.key.subarray(0, n), r.value));
        expect(e.code).toBe('CODEC_TRUNCATED');
        expect(e.record).toBe(r.name);
        expect(e.message).toContain(e.field);
      }
      for (let n = 0; n < r.value.length; n++) {
        expect(codecError(() => r.decode(r.key, r.value.subarray(0, n))).code).toBe('CODEC_TRUNCATED');
      }
    });

    it(`${r.name}: trailing bytes are refused`, () => {
      expect(codecError(() => r.decode(Buffer.concat([r.key, hex('00')]), r.value)).code).toBe(
        'CODEC_TRAILING_BYTES',
      );
      expect(codecError(() => r.decode(r.key, Buffer.concat([r.value, hex('ff')]))).code).toBe(
        'CODEC_TRAILING_BYTES',
      );
    });
  }

  it('refuses unknown versions', () => {
    const v1 = Buffer.from(checkpointValue);
    v1.writeInt16BE(1, 0);
    const e = codecError(() => decodeCheckpoint(checkpointKey, v1));
    expect([e.code, e.field]).toEqual(['CODEC_UNKNOWN_VERSION', 'version']);
    const hb = Buffer.from(beatValue);
    hb.writeInt16BE(-1, 0);
    expect(codecError(() => decodeHeartbeat(beatKey, hb)).code).toBe('CODEC_UNKNOWN_VERSION');
  });

  it('refuses negative string lengths, invalid UTF-8 and negative partitions', () => {
    expect(codecError(() => decodeOffsetSync(hex('ffff 00000001'), syncValue)).code).toBe(
      'CODEC_NEGATIVE_LENGTH',
    );
    const invalid = codecError(() => decodeOffsetSync(hex('0002 c328 00000001'), syncValue));
    expect([invalid.code, invalid.field]).toEqual(['CODEC_INVALID_UTF8', 'topic']);
    const negative = codecError(() => decodeOffsetSync(hex('0001 61 ffffffff'), syncValue));
    expect([negative.code, negative.field]).toEqual(['CODEC_VALUE_OUT_OF_RANGE', 'partition']);
  });

  it('refuses values MM2 could not write', () => {
    expect(codecError(() => encodeCheckpoint({ ...checkpoint, partition: -1 })).code).toBe(
      'CODEC_VALUE_OUT_OF_RANGE',
    );
    expect(codecError(() => encodeCheckpoint({ ...checkpoint, partition: 2 ** 31 })).code).toBe(
      'CODEC_VALUE_OUT_OF_RANGE',
    );
    expect(codecError(() => encodeCheckpoint({ ...checkpoint, upstreamOffset: 2n ** 63n })).code).toBe(
      'CODEC_VALUE_OUT_OF_RANGE',
    );
    expect(codecError(() => encodeCheckpoint({ ...checkpoint, metadata: 'x'.repeat(32768) })).code).toBe(
      'CODEC_STRING_TOO_LONG',
    );
    expect(() => encodeCheckpoint({ ...checkpoint, metadata: 'x'.repeat(32767) })).not.toThrow();
    expect(codecError(() => encodeCheckpoint({ ...checkpoint, topic: 'a\ud800' })).field).toBe('topic');
    expect(
      codecError(() => encodeHeartbeat({ ...beat, sourceClusterAlias: null as unknown as string })).code,
    ).toBe('CODEC_NULL_FIELD');
  });
});

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const int64 = fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);
const partition = fc.integer({ min: 0, max: 2 ** 31 - 1 });

describe('properties', () => {
  it('round-trips any valid checkpoint, offset sync and heartbeat', () => {
    fc.assert(
      fc.property(
        text,
        text,
        partition,
        int64,
        int64,
        text,
        (consumerGroupId, topic, p, upstreamOffset, downstreamOffset, metadata) => {
          const c = { consumerGroupId, topic, partition: p, upstreamOffset, downstreamOffset, metadata };
          const { key, value } = encodeCheckpoint(c);
          expect(decodeCheckpoint(key, value)).toEqual(c);
          const s = { topic, partition: p, upstreamOffset, downstreamOffset };
          const e = encodeOffsetSync(s);
          expect(decodeOffsetSync(e.key, e.value)).toEqual(s);
          const h = {
            sourceClusterAlias: consumerGroupId,
            targetClusterAlias: topic,
            timestamp: upstreamOffset,
          };
          const b = encodeHeartbeat(h);
          expect(decodeHeartbeat(b.key, b.value)).toEqual(h);
        },
      ),
    );
  });

  it('random bytes either decode to a value that re-encodes to the same bytes, or throw MirrorKitCodecError', () => {
    const decoders = [
      [decodeCheckpoint, encodeCheckpoint],
      [decodeOffsetSync, encodeOffsetSync],
      [decodeHeartbeat, encodeHeartbeat],
    ] as const;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (k, v) => {
        for (const [decode, encode] of decoders) {
          let decoded: unknown;
          try {
            decoded = decode(Buffer.from(k), Buffer.from(v));
          } catch (error) {
            expect(error).toBeInstanceOf(MirrorKitCodecError);
            continue;
          }
          const again = (encode as (x: unknown) => { key: Buffer; value: Buffer })(decoded);
          expect(again.key.equals(Buffer.from(k))).toBe(true);
          expect(again.value.equals(Buffer.from(v))).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('valid records with a flipped or cut byte never decode silently to a different record of the same length', () => {
    fc.assert(
      fc.property(text, partition, int64, fc.nat(), (topic, p, offset, cut) => {
        const { key, value } = encodeOffsetSync({
          topic,
          partition: p,
          upstreamOffset: offset,
          downstreamOffset: offset,
        });
        const n = cut % (key.length + 1);
        if (n === key.length) return;
        expect(() => decodeOffsetSync(key.subarray(0, n), value)).toThrow(MirrorKitCodecError);
      }),
    );
  });
});
