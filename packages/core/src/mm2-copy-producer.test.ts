import { describe, expect, it } from 'vitest';
import { registerCompressionCodecs } from './compression/register-codecs.js';
import { copyProducerSettings } from './mm2-copy-producer.js';
import { parseMirrorMakerProperties } from './mm2-properties.js';

registerCompressionCodecs();

const BASE = `clusters = a, b
a.bootstrap.servers = a:1
b.bootstrap.servers = b:1
a->b.enabled = true
`;

function settingsOf(extra: string) {
  const mm2 = parseMirrorMakerProperties(BASE + extra);
  const flow = mm2.flows[0];
  if (!flow) throw new Error('no flow');
  return copyProducerSettings(flow, mm2);
}

describe('copyProducerSettings', () => {
  it('copies are uncompressed unless told, as MM2', () => {
    expect(settingsOf('')).toMatchObject({ codec: 'none', from: undefined, unsupported: [] });
  });

  it("takes the target's producer.compression.type, and the flow's producer.override over it", () => {
    expect(settingsOf('b.producer.compression.type = zstd\n')).toMatchObject({
      codec: 'zstd',
      from: 'b.producer.compression.type',
    });
    expect(
      settingsOf('b.producer.compression.type = zstd\na->b.producer.override.compression.type = LZ4\n'),
    ).toMatchObject({ codec: 'lz4', from: 'a->b.producer.override.compression.type' });
    // The source's producer settings are its own clients', not the copies'.
    expect(settingsOf('a.producer.compression.type = gzip\n').codec).toBe('none');
  });

  it('an unknown codec is a config error naming the full key and line', () => {
    expect(() => settingsOf('b.producer.compression.type = brotli\n')).toThrow(
      /line 5: b\.producer\.compression\.type must be one of none, gzip, snappy, lz4, zstd \(got 'brotli'\)/,
    );
  });

  it('says why every other producer setting does nothing, with its line', () => {
    const { unsupported } = settingsOf(
      'b.producer.acks = 1\nb.producer.linger.ms = 20\na->b.producer.compression.type = zstd\nb.producer.foo = x\n',
    );
    expect(unsupported.map((u) => [u.key, u.line])).toEqual([
      ['b.producer.acks', 5],
      ['b.producer.linger.ms', 6],
      ['b.producer.foo', 8],
      ['a->b.producer.compression.type', 7],
    ]);
    expect(unsupported[0]?.reason).toMatch(/acks=all/);
    expect(unsupported[3]?.reason).toMatch(
      /MM2 does not apply this to its copies; set a->b\.producer\.override\.compression\.type/,
    );
  });
});
