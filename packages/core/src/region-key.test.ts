import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MirrorKitRegionKeyError, parseRegionKey, regionKey, tryParseRegionKey } from './region-key.js';

describe('region keys', () => {
  it('prefixes ids with the region and parses them back', () => {
    expect(regionKey('us-east', 'order-12345')).toBe('us-east:order-12345');
    expect(parseRegionKey('us-east:order-12345')).toEqual({ region: 'us-east', id: 'order-12345' });
    expect(parseRegionKey(Buffer.from('eu:a:b'))).toEqual({ region: 'eu', id: 'a:b' });
  });

  it('defaults the id to a UUID v4', () => {
    const key = regionKey('us-west');
    expect(key).toMatch(/^us-west:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(regionKey('us-west')).not.toBe(key);
  });

  it('refuses malformed keys and regions with a typed error', () => {
    for (const bad of ['', 'no-colon', ':id', 'region:', null, undefined]) {
      expect(tryParseRegionKey(bad)).toBeNull();
      expect(() => parseRegionKey(bad)).toThrow(MirrorKitRegionKeyError);
    }
    expect(() => regionKey('a:b', 'x')).toThrow(MirrorKitRegionKeyError);
    expect(() => regionKey('', 'x')).toThrow(MirrorKitRegionKeyError);
    expect(() => regionKey('a', '')).toThrow(MirrorKitRegionKeyError);
  });

  it('round-trips any region without a colon and any non-empty id', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((r) => !r.includes(':')),
        fc.string({ minLength: 1 }),
        (region, id) => {
          expect(parseRegionKey(regionKey(region, id))).toEqual({ region, id });
        },
      ),
    );
  });
});

describe('stampOrigin', () => {
  it('prefixes or mints the key and adds the origin header, keeping other headers', async () => {
    const { stampOrigin, ORIGIN_HEADER } = await import('./origin-stamp.js');
    expect(stampOrigin({ key: 'order-1', headers: { a: 'b' } }, 'us-east')).toEqual({
      key: 'us-east:order-1',
      headers: { a: 'b', [ORIGIN_HEADER]: 'us-east' },
    });
    expect(stampOrigin({ key: Buffer.from('us-west:9') }, 'us-east').key).toBe('us-west:9');
    expect(stampOrigin({}, 'eu').key).toMatch(/^eu:[0-9a-f-]{36}$/);
    expect(() => stampOrigin({}, 'a:b')).toThrow(MirrorKitRegionKeyError);
  });
});
