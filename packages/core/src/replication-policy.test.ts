import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DefaultReplicationPolicy } from './default-replication-policy.js';
import { IdentityReplicationPolicy } from './identity-replication-policy.js';
import { MirrorKitPolicyError } from './policy-error.js';
import { policyFromConfig } from './policy-from-config.js';
import { isRemoteCopyOf, remoteTopicPattern } from './remote-topic-pattern.js';

// Expected values come from reading MM2's DefaultReplicationPolicy, IdentityReplicationPolicy and
// ReplicationPolicy (Kafka 3.9), including Java's String.split, which drops trailing empty strings.
describe('DefaultReplicationPolicy', () => {
  const policy = new DefaultReplicationPolicy();

  it.each([
    ['us-east.orders', 'us-east', 'orders', 'orders'],
    ['us-west.us-east.orders', 'us-west', 'us-east.orders', 'orders'],
    ['orders', null, null, 'orders'],
    ['us-east.', null, null, 'us-east.'],
    ['.orders', '', 'orders', 'orders'],
    ['a..b', 'a', '.b', 'b'],
    ['us-east.my.orders', 'us-east', 'my.orders', 'orders'],
  ])('%s → source %s, upstream %s, original %s', (topic, source, upstream, original) => {
    expect(policy.topicSource(topic)).toBe(source);
    expect(policy.upstreamTopic(topic)).toBe(upstream);
    expect(policy.originalTopic(topic)).toBe(original);
  });

  it('names remote and internal topics like MM2', () => {
    expect(policy.formatRemoteTopic('us-east', 'orders')).toBe('us-east.orders');
    expect(policy.heartbeatsTopic()).toBe('heartbeats');
    expect(policy.checkpointsTopic('us-east')).toBe('us-east.checkpoints.internal');
    expect(policy.offsetSyncsTopic('us-west')).toBe('mm2-offset-syncs.us-west.internal');
    expect(policy.isCheckpointsTopic('us-east.checkpoints.internal')).toBe(true);
    expect(policy.isHeartbeatsTopic('us-east.heartbeats')).toBe(true);
    expect(policy.isHeartbeatsTopic('us-west.us-east.heartbeats')).toBe(true);
    expect(policy.isHeartbeatsTopic('heartbeats-archive')).toBe(false);
  });

  it.each([
    ['__consumer_offsets', true],
    ['.hidden', true],
    ['mm2-offsets.us-east.internal', true],
    ['connect-configs-internal', true],
    ['us-east.checkpoints.internal', true],
    ['orders', false],
    ['us-east.orders', false],
    ['internal', false],
  ])('isInternalTopic(%s) = %s', (topic, internal) => {
    expect(policy.isInternalTopic(topic)).toBe(internal);
  });

  it('uses a custom separator for remote and internal topics (KIP-690)', () => {
    const custom = new DefaultReplicationPolicy({ separator: '__' });
    expect(custom.formatRemoteTopic('us-east', 'orders')).toBe('us-east__orders');
    expect(custom.topicSource('us-west__us-east__orders')).toBe('us-west');
    expect(custom.originalTopic('us-west__us-east__orders')).toBe('orders');
    expect(custom.checkpointsTopic('us-east')).toBe('us-east__checkpoints__internal');
    expect(custom.offsetSyncsTopic('us-east')).toBe('mm2-offset-syncs__us-east__internal');
    expect(custom.isMM2InternalTopic('x__internal')).toBe(true);
    const legacy = new DefaultReplicationPolicy({ separator: '__', internalTopicSeparatorEnabled: false });
    expect(legacy.checkpointsTopic('us-east')).toBe('us-east.checkpoints.internal');
    expect(legacy.offsetSyncsTopic('us-east')).toBe('mm2-offset-syncs.us-east.internal');
    expect(legacy.formatRemoteTopic('us-east', 'orders')).toBe('us-east__orders');
  });

  it('reads an alias containing the separator the way MM2 does: cut at the first separator', () => {
    expect(policy.topicSource(policy.formatRemoteTopic('us.east', 'orders'))).toBe('us');
  });

  it('refuses an empty separator', () => {
    expect(() => new DefaultReplicationPolicy({ separator: '' })).toThrow(MirrorKitPolicyError);
  });

  it('inverts formatRemoteTopic for any alias without the separator, at any depth', () => {
    // Names starting with `__` are Kafka-internal; MM2 never replicates into them.
    const alias = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/).filter((a) => !a.startsWith('__'));
    const topic = fc.stringMatching(/^[A-Za-z0-9._-]{1,30}$/).filter((t) => !t.endsWith('.'));
    fc.assert(
      fc.property(fc.array(alias, { minLength: 1, maxLength: 4 }), topic, (aliases, t) => {
        const remote = aliases.reduce((name, a) => policy.formatRemoteTopic(a, name), t);
        const last = aliases[aliases.length - 1] as string;
        expect(policy.topicSource(remote)).toBe(last);
        expect(policy.upstreamTopic(remote)).toBe(
          aliases.slice(0, -1).reduce((name, a) => policy.formatRemoteTopic(a, name), t),
        );
        expect(remoteTopicPattern(policy, t).test(remote)).toBe(true);
        expect(isRemoteCopyOf(policy, remote, t)).toBe(true);
      }),
    );
  });
});

describe('IdentityReplicationPolicy', () => {
  const policy = new IdentityReplicationPolicy({ sourceClusterAlias: 'us-east' });

  it('keeps names except for heartbeats', () => {
    expect(policy.formatRemoteTopic('us-east', 'orders')).toBe('orders');
    expect(policy.formatRemoteTopic('us-east', 'heartbeats')).toBe('us-east.heartbeats');
    expect(policy.topicSource('orders')).toBe('us-east');
    expect(policy.upstreamTopic('orders')).toBe('orders');
    expect(policy.originalTopic('orders')).toBe('orders');
    expect(policy.topicSource('us-west.heartbeats')).toBe('us-west');
    expect(policy.upstreamTopic('us-west.heartbeats')).toBe('heartbeats');
    expect(policy.checkpointsTopic('us-east')).toBe('us-east.checkpoints.internal');
    expect(new IdentityReplicationPolicy().topicSource('orders')).toBeNull();
  });
});

describe('policyFromConfig', () => {
  it('builds MM2 policies from their config keys and defaults', () => {
    expect(policyFromConfig({})).toBeInstanceOf(DefaultReplicationPolicy);
    const custom = policyFromConfig(new Map([['replication.policy.separator', '_']]));
    expect(custom.formatRemoteTopic('a', 't')).toBe('a_t');
    const identity = policyFromConfig({
      'replication.policy.class': 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy',
      'source.cluster.alias': 'us-east',
    });
    expect(identity).toBeInstanceOf(IdentityReplicationPolicy);
    expect(identity.topicSource('orders')).toBe('us-east');
    const legacy = policyFromConfig({
      'replication.policy.separator': '-',
      'replication.policy.internal.topic.separator.enabled': 'FALSE',
    });
    expect(legacy.checkpointsTopic('a')).toBe('a.checkpoints.internal');
  });

  it('names an unknown class and a bad boolean', () => {
    expect(() => policyFromConfig({ 'replication.policy.class': 'com.acme.Policy' })).toThrow(
      /com\.acme\.Policy/,
    );
    expect(() => policyFromConfig({ 'replication.policy.internal.topic.separator.enabled': 'yes' })).toThrow(
      /replication\.policy\.internal\.topic\.separator\.enabled/,
    );
  });
});

describe('remoteTopicPattern', () => {
  const policy = new DefaultReplicationPolicy();

  it('matches the topic and its remote copies, and nothing else', () => {
    const pattern = remoteTopicPattern(policy, 'orders');
    for (const yes of ['orders', 'us-east.orders', 'us-west.us-east.orders', 'eu_1.orders'])
      expect(pattern.test(yes)).toBe(true);
    for (const no of [
      'orders-archive',
      'us-east.orders.internal',
      'xorders',
      'us-east.checkpoints.internal',
      'us-east.heartbeats',
      'us-east.',
      '.orders.x',
      'us-east.ordersx',
      '__x.orders',
      '.x.orders',
    ]) {
      expect(pattern.test(no)).toBe(false);
    }
  });

  it('restricts sources when aliases are given, at every hop', () => {
    const pattern = remoteTopicPattern(policy, 'orders', { sourceAliases: ['us-east'] });
    expect(pattern.test('us-east.orders')).toBe(true);
    expect(pattern.test('us-west.orders')).toBe(false);
    expect(pattern.test('us-west.us-east.orders')).toBe(false);
    expect(isRemoteCopyOf(policy, 'us-west.us-east.orders', 'orders', { sourceAliases: ['us-east'] })).toBe(
      false,
    );
    expect(() => remoteTopicPattern(policy, 'orders', { sourceAliases: ['us.east'] })).toThrow(
      MirrorKitPolicyError,
    );
  });

  it('escapes regex characters in topics and separators', () => {
    const plus = new DefaultReplicationPolicy({ separator: '+' });
    const pattern = remoteTopicPattern(plus, 'a.b');
    expect(pattern.test('x+a.b')).toBe(true);
    expect(pattern.test('x+aXb')).toBe(false);
    expect(pattern.test('xxx+a.b')).toBe(true);
  });

  it('is the exact name under IdentityReplicationPolicy', () => {
    const pattern = remoteTopicPattern(new IdentityReplicationPolicy(), 'orders');
    expect(pattern.test('orders')).toBe(true);
    expect(pattern.test('us-east.orders')).toBe(false);
  });

  it('never matches random names that are not copies (property)', () => {
    const pattern = remoteTopicPattern(policy, 'orders');
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/), (name) => {
        expect(pattern.test(name)).toBe(isRemoteCopyOf(policy, name, 'orders'));
      }),
      { numRuns: 5000 },
    );
  });
});
