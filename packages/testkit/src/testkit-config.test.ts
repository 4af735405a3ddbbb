import { describe, expect, it } from 'vitest';
import { newClusterId } from './cluster-id.js';
import { freePorts } from './free-ports.js';
import { pinnedKafkaVersion, selectedKafkaVersion } from './kafka-runtime.js';
import { mirrorMakerTestProperties } from './mirror-maker.js';
import { TestkitError } from './testkit-error.js';

describe('Kafka version selection', () => {
  it('reads the pinned version from the pom', () => {
    expect(pinnedKafkaVersion()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(selectedKafkaVersion({})).toBe(pinnedKafkaVersion());
  });

  it('takes KAFKA_VERSION when it is a release number and refuses anything else', () => {
    expect(selectedKafkaVersion({ KAFKA_VERSION: '4.1.1' })).toBe('4.1.1');
    expect(() => selectedKafkaVersion({ KAFKA_VERSION: 'latest' })).toThrow(TestkitError);
    expect(() => selectedKafkaVersion({ KAFKA_VERSION: '4.1.1; rm -rf /' })).toThrow(/KAFKA_VERSION/);
  });
});

describe('cluster ids', () => {
  it('are 22 base64url characters that never start with a dash', () => {
    for (let i = 0; i < 2000; i++) {
      const id = newClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
  });
});

describe('free ports', () => {
  it('returns distinct bindable loopback ports', async () => {
    const ports = await freePorts(6);
    expect(new Set(ports).size).toBe(6);
    for (const port of ports) expect(port).toBeGreaterThan(0);
  });
});

describe('MirrorMaker test properties', () => {
  it('enables the given flows, knows every cluster and sets replication factor 1 everywhere', () => {
    const text = mirrorMakerTestProperties({
      clusters: { 'us-east': '127.0.0.1:1', 'us-west': '127.0.0.1:2' },
      flows: ['us-east->us-west'],
      extra: { 'emit.checkpoints.interval.seconds': '5' },
    });
    const lines = new Map(
      text
        .trim()
        .split('\n')
        .map((line) => line.split('=') as [string, string]),
    );
    expect(lines.get('clusters')).toBe('us-east, us-west');
    expect(lines.get('us-east.bootstrap.servers')).toBe('127.0.0.1:1');
    expect(lines.get('us-east->us-west.enabled')).toBe('true');
    expect(lines.has('us-west->us-east.enabled')).toBe(false);
    for (const [key, value] of lines) if (key.endsWith('replication.factor')) expect(value).toBe('1');
    expect(lines.get('emit.checkpoints.interval.seconds')).toBe('5');
  });

  it('refuses a flow between unknown aliases', () => {
    expect(() => mirrorMakerTestProperties({ clusters: { a: 'x:1' }, flows: ['a->b'] })).toThrow(
      /flow "a->b"/,
    );
  });
});
