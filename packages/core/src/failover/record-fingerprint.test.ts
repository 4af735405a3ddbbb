import { describe, expect, it } from 'vitest';
import { decodeProgress, encodeProgress } from './progress-codec.js';
import { fingerprintMetadata, identityFromMetadata, recordFingerprint } from './record-fingerprint.js';

const base = { key: Buffer.from('k'), value: Buffer.from('v'), timestamp: '1700000000000', headers: {} };

describe('recordFingerprint', () => {
  it('covers key, value, headers and timestamp, and nothing else', () => {
    const fp = recordFingerprint(base);
    expect(fp).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(recordFingerprint({ ...base, timestamp: 1700000000000n })).toBe(fp);
    expect(recordFingerprint({ ...base, key: Buffer.from('K') })).not.toBe(fp);
    expect(recordFingerprint({ ...base, value: Buffer.from('w') })).not.toBe(fp);
    expect(recordFingerprint({ ...base, timestamp: '1700000000001' })).not.toBe(fp);
    expect(recordFingerprint({ ...base, headers: { h: Buffer.from('1') } })).not.toBe(fp);
  });

  it('tells null from empty and does not let fields run into each other', () => {
    expect(recordFingerprint({ ...base, key: null })).not.toBe(
      recordFingerprint({ ...base, key: Buffer.alloc(0) }),
    );
    expect(recordFingerprint({ ...base, key: Buffer.from('ab'), value: Buffer.from('c') })).not.toBe(
      recordFingerprint({ ...base, key: Buffer.from('a'), value: Buffer.from('bc') }),
    );
    expect(recordFingerprint({ ...base, headers: { a: [Buffer.from('1'), Buffer.from('2')] } })).not.toBe(
      recordFingerprint({ ...base, headers: { a: [Buffer.from('2'), Buffer.from('1')] } }),
    );
  });

  it('a string header equals its UTF-8 bytes (kafkajs hands Buffers; a producer may pass strings)', () => {
    expect(recordFingerprint({ ...base, headers: { h: 'é' } })).toBe(
      recordFingerprint({ ...base, headers: { h: Buffer.from('é') } }),
    );
  });

  it('rides in commit metadata with the timestamp; other metadata carries none', () => {
    const metadata = fingerprintMetadata(base);
    expect(metadata.length).toBeLessThanOrEqual(50);
    expect(identityFromMetadata(metadata)).toEqual({
      fingerprint: recordFingerprint(base),
      timestamp: 1700000000000n,
    });
    expect(identityFromMetadata('')).toBeNull();
    expect(identityFromMetadata('mirrorkit-fp1:short@1')).toBeNull();
    expect(identityFromMetadata('mirrorkit-fp1:AAAAAAAAAAAAAAAAAAAAAA')).toBeNull();
    expect(identityFromMetadata('mirrorkit-fp2:AAAAAAAAAAAAAAAAAAAAAA@1')).toBeNull();
    expect(identityFromMetadata(null)).toBeNull();
  });
});

describe('progress codec', () => {
  const progress = {
    sourceCluster: 'us-east',
    consumerGroupId: 'billing',
    topic: 'orders',
    partition: 3,
    nextOffset: 1234n,
    fingerprint: recordFingerprint(base),
    recordTimestamp: 1699999999000n,
    writtenAtMs: 1700000000000n,
  };

  it('round-trips', () => {
    const { key, value } = encodeProgress(progress);
    expect(decodeProgress(key, value)).toEqual(progress);
  });

  it('refuses another version, truncation and trailing bytes with a codec error naming the field', () => {
    const { key, value } = encodeProgress(progress);
    const other = Buffer.from(value);
    other.writeInt16BE(1, 0);
    expect(() => decodeProgress(key, other)).toThrow(/progress version: version 1 is not known/);
    expect(() => decodeProgress(key, value.subarray(0, 5))).toThrow(/progress next_offset/);
    expect(() => decodeProgress(Buffer.concat([key, Buffer.from([0])]), value)).toThrow(/progress key/);
  });
});
