import {
  DefaultReplicationPolicy,
  IdentityReplicationPolicy,
  parseMirrorMakerProperties,
} from '@mirrorkit/core';
import { describe, expect, it } from 'vitest';
import { PartitionSyncState } from './flow/offset-sync-writer.js';
import { kafkaConnection } from './kafka-connection.js';
import { ReplicatorMetrics } from './metrics.js';
import { isCycle, replicatedConfigs, shouldReplicateTopic } from './topic-selection.js';

const config = (extra = '') =>
  parseMirrorMakerProperties(`
clusters = us-east, us-west
us-east.bootstrap.servers = e:9092
us-west.bootstrap.servers = w:9092
us-east->us-west.enabled = true
${extra}`);

describe('PartitionSyncState (MM2 offset sync emission rule)', () => {
  it('syncs the first record, then every offset.lag.max records, and on any jump or truncation', () => {
    const state = new PartitionSyncState(10n);
    const emitted: number[] = [];
    for (let i = 0; i < 40; i++) if (state.update(BigInt(i), BigInt(i))) emitted.push(i);
    // First record, then once the last sync is 10 or more records behind (+1 for translation).
    expect(emitted).toEqual([0, 11, 22, 33]);
    expect(state.update(45n, 40n)).toBe(true); // upstream skipped (compaction, markers)
    expect(state.update(46n, 41n)).toBe(false);
    expect(state.update(47n, 5n)).toBe(true); // downstream went backwards
  });
});

describe('topic selection', () => {
  const policy = new DefaultReplicationPolicy();
  it('detects cycles through any number of hops', () => {
    expect(isCycle(policy, 'us-west.orders', 'us-west')).toBe(true);
    expect(isCycle(policy, 'eu.us-west.orders', 'us-west')).toBe(true);
    expect(isCycle(policy, 'eu.orders', 'us-west')).toBe(false);
    expect(isCycle(policy, 'orders', 'us-west')).toBe(false);
  });

  it('replicates heartbeats always, internal topics and loops never, others by filter', () => {
    const flow = config('us-east->us-west.topics = orders.*').flows[0];
    if (!flow) throw new Error('no flow');
    expect(shouldReplicateTopic(flow, 'orders')).toBe(true);
    expect(shouldReplicateTopic(flow, 'payments')).toBe(false);
    expect(shouldReplicateTopic(flow, 'heartbeats')).toBe(true);
    expect(shouldReplicateTopic(flow, 'eu.heartbeats')).toBe(true);
    expect(shouldReplicateTopic(flow, 'us-west.heartbeats')).toBe(false);
    expect(shouldReplicateTopic(flow, 'us-west.orders')).toBe(false);
    expect(shouldReplicateTopic(flow, 'mm2-offset-syncs.us-west.internal')).toBe(false);
    expect(shouldReplicateTopic(flow, '__consumer_offsets')).toBe(false);
    expect(shouldReplicateTopic(flow, 'orders.replica')).toBe(false);
  });

  it('under Identity, cannot tell origins apart, as MM2 (so active-active needs Default)', () => {
    const identity = new IdentityReplicationPolicy({ sourceClusterAlias: 'us-east' });
    expect(isCycle(identity, 'orders', 'us-west')).toBe(false);
  });

  it('copies explicitly set topic configs minus MM2 exclusions', () => {
    const flow = config().flows[0];
    if (!flow) throw new Error('no flow');
    expect(
      replicatedConfigs(flow, [
        { name: 'retention.ms', value: '1000', explicit: true },
        { name: 'cleanup.policy', value: 'delete', explicit: false },
        { name: 'min.insync.replicas', value: '2', explicit: true },
        { name: 'unclean.leader.election.enable', value: 'true', explicit: true },
        { name: 'compression.type', value: null, explicit: true },
      ]),
    ).toEqual({ 'retention.ms': '1000' });
  });
});

describe('kafkaConnection', () => {
  it('maps SASL_SSL with SCRAM credentials from sasl.jaas.config (secrets from env)', () => {
    const mm2 = parseMirrorMakerProperties(
      `
clusters = a, b
a.bootstrap.servers = a1:9093, a2:9093
a.security.protocol = SASL_SSL
a.sasl.mechanism = SCRAM-SHA-512
a.sasl.jaas.config = org.apache.kafka.common.security.scram.ScramLoginModule required username="svc" password="\${env:A_PASSWORD}";
a.ssl.truststore.type = PEM
a.ssl.truststore.certificates = -----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----
b.bootstrap.servers = b:9092
a->b.enabled = true
`,
      { env: { A_PASSWORD: 's3cret' } },
    );
    const { config: kafka, unsupported } = kafkaConnection(mm2.clusterConfigs.get('a') as never, mm2);
    expect(kafka.brokers).toEqual(['a1:9093', 'a2:9093']);
    expect(kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'svc', password: 's3cret' });
    expect(kafka.ssl).toEqual({ ca: ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'] });
    expect(unsupported).toEqual([]);
    expect(kafkaConnection(mm2.clusterConfigs.get('b') as never, mm2).config.ssl).toBeUndefined();
  });

  it('refuses security it cannot honour, naming the key and its line, instead of connecting without it', () => {
    const mm2 = parseMirrorMakerProperties(`
clusters = a, b
a.bootstrap.servers = a:9093
a.security.protocol = SASL_SSL
a.sasl.mechanism = GSSAPI
a.ssl.truststore.location = /etc/kafka/truststore.jks
b.bootstrap.servers = b:9092
a->b.enabled = true
`);
    expect(() => kafkaConnection(mm2.clusterConfigs.get('a') as never, mm2)).toThrow(
      expect.objectContaining({
        code: 'CONFIG_UNSUPPORTED_SECURITY',
        key: 'a.ssl.truststore.location',
        line: 6,
      }),
    );
  });
});

describe('ReplicatorMetrics', () => {
  it('renders Prometheus text with cumulative histogram buckets', () => {
    const m = new ReplicatorMetrics();
    m.inc('mirrorkit_replicator_records_total', { flow: 'a->b' }, 3);
    m.set('mirrorkit_replicator_record_lag', { flow: 'a->b', topic: 'orders', partition: 0 }, 7);
    m.observeLatency({ flow: 'a->b' }, 4);
    m.observeLatency({ flow: 'a->b' }, 40);
    const text = m.render();
    expect(text).toContain('# TYPE mirrorkit_replicator_records_total counter');
    expect(text).toContain('mirrorkit_replicator_records_total{flow="a->b"} 3');
    expect(text).toContain('mirrorkit_replicator_record_lag{flow="a->b",topic="orders",partition="0"} 7');
    expect(text).toContain('mirrorkit_replicator_latency_ms_bucket{flow="a->b",le="5"} 1');
    expect(text).toContain('mirrorkit_replicator_latency_ms_bucket{flow="a->b",le="50"} 2');
    expect(text).toContain('mirrorkit_replicator_latency_ms_bucket{flow="a->b",le="+Inf"} 2');
    expect(text).toContain('mirrorkit_replicator_latency_ms_sum{flow="a->b"} 44');
  });
});

describe('unsupportedSettings', () => {
  it("is core's one classification (tested there), re-exported", async () => {
    const fromHere = await import('./index.js');
    const core = await import('@mirrorkit/core');
    expect(fromHere.unsupportedSettings).toBe(core.unsupportedSettings);
  });
});
