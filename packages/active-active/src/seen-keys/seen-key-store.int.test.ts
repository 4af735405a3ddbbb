import { describe, expect, it } from 'vitest';
import { kafkaFor, sharedClusters, uniqueName } from '../../../../test/kafka-context.js';
import { Deduplicator } from '../dedup/deduplicator.js';
import { MirrorKitSeenKeyStoreError } from '../errors.js';
import { encodeSeenAt } from './seen-key-codec.js';
import { KafkaSeenKeyStore } from './seen-key-store.js';

describe('KafkaSeenKeyStore on a real broker', () => {
  it('creates a compacted topic, restores what was remembered and skips corrupt or foreign records', async () => {
    const { east } = sharedClusters();
    const kafka = kafkaFor(east);
    const topic = uniqueName('billing.mirrorkit-seen');
    const now = Date.now();

    const first = new KafkaSeenKeyStore(kafka, { topic, retentionMs: 60_000 });
    await expect(first.remember('us-east:1')).rejects.toBeInstanceOf(MirrorKitSeenKeyStoreError);
    expect(await first.open(new Deduplicator({ maxKeys: 10 }))).toEqual({
      restored: 0,
      ignored: 0,
      corrupt: 0,
    });
    await first.remember('us-east:1');
    await first.remember('us-west:2');
    await first.remember('us-east:1');
    await first.close();

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: 'foreign', value: '{"not":"ours"}' },
        { key: Buffer.alloc(0), value: encodeSeenAt(now) },
        { key: 'us-east:old', value: encodeSeenAt(now - 120_000) },
      ],
    });
    await producer.disconnect();

    const admin = kafka.admin();
    await admin.connect();
    const described = await admin.describeConfigs({
      resources: [{ type: 2, name: topic, configNames: ['cleanup.policy', 'retention.ms'] }],
      includeSynonyms: false,
    });
    await admin.disconnect();
    const configs = Object.fromEntries(
      (described.resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]),
    );
    expect(configs).toEqual({ 'cleanup.policy': 'compact,delete', 'retention.ms': '60000' });

    const seen = new Deduplicator({ maxKeys: 10, windowMs: 60_000 });
    const second = new KafkaSeenKeyStore(kafka, { topic, retentionMs: 60_000 });
    // us-east:1 twice (one counts as already known), us-east:old is past the window.
    expect(await second.open(seen)).toEqual({ restored: 2, ignored: 2, corrupt: 2 });
    await second.close();
    expect(seen.has('us-east:1')).toBe(true);
    expect(seen.has('us-west:2')).toBe(true);
    expect(seen.has('us-east:old')).toBe(false);
  });
});
