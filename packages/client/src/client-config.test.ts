import { DefaultReplicationPolicy, IdentityReplicationPolicy } from '@mirrorkit/core';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from './client-config.js';
import { MirrorKitClientError } from './client-error.js';
import { MirrorKit } from './mirror-kit.js';

const clusters = { 'us-east': { brokers: ['127.0.0.1:9092'] }, 'us-west': { brokers: ['127.0.0.1:9093'] } };

function fieldOf(fn: () => unknown): { code: string; field: string | undefined; message: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MirrorKitClientError);
    const e = error as MirrorKitClientError;
    return { code: e.code, field: e.field, message: e.message };
  }
  throw new Error('expected a MirrorKitClientError');
}

describe('client configuration', () => {
  it('accepts a valid two-cluster configuration with the default policy', () => {
    const resolved = resolveConfig({ clusters, activeCluster: 'us-east' });
    expect(resolved.aliases).toEqual(['us-east', 'us-west']);
    expect(resolved.policy).toBeInstanceOf(DefaultReplicationPolicy);
    expect(resolved.kafka('us-west')).toBe(resolved.kafka('us-west'));
  });

  it('names an unknown active cluster and lists the known ones', () => {
    const error = fieldOf(() => new MirrorKit({ clusters, activeCluster: 'eu-central' }));
    expect(error.code).toBe('CLIENT_UNKNOWN_ALIAS');
    expect(error.field).toBe('activeCluster');
    expect(error.message).toContain('eu-central');
    expect(error.message).toContain('us-east, us-west');
  });

  it('refuses clusters without brokers, malformed brokers and empty cluster maps', () => {
    expect(fieldOf(() => resolveConfig({ clusters: { a: { brokers: [] } }, activeCluster: 'a' })).field).toBe(
      'clusters.a.brokers',
    );
    const bad = fieldOf(() =>
      resolveConfig({ clusters: { a: { brokers: ['no-port'] } }, activeCluster: 'a' }),
    );
    expect(bad.field).toBe('clusters.a.brokers');
    expect(bad.message).toContain('no-port');
    expect(fieldOf(() => resolveConfig({ clusters: {}, activeCluster: 'a' })).field).toBe('clusters');
    expect(
      fieldOf(() =>
        resolveConfig({ clusters: { 'bad alias': { brokers: ['h:1'] } }, activeCluster: 'bad alias' }),
      ).code,
    ).toBe('CLIENT_CONFIG_INVALID');
  });

  it('builds the policy from MM2 properties, and names the policy field when it cannot', () => {
    const resolved = resolveConfig({
      clusters,
      activeCluster: 'us-east',
      policy: {
        mm2Properties: {
          'replication.policy.class': 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy',
          'source.cluster.alias': 'us-east',
        },
      },
    });
    expect(resolved.policy).toBeInstanceOf(IdentityReplicationPolicy);
    const error = fieldOf(() =>
      resolveConfig({
        clusters,
        activeCluster: 'us-east',
        policy: { mm2Properties: { 'replication.policy.class': 'com.example.Nope' } },
      }),
    );
    expect(error.field).toBe('policy');
    expect(error.message).toContain('com.example.Nope');
  });

  it('never puts SASL secrets into error messages', () => {
    const error = fieldOf(() =>
      resolveConfig({
        clusters: {
          a: { brokers: ['bad'], sasl: { mechanism: 'plain', username: 'u', password: 'hunter2-secret' } },
        },
        activeCluster: 'a',
      }),
    );
    expect(error.message).not.toContain('hunter2-secret');
  });

  it('refuses a consumer without a group id and an automatic failover target that is not configured', () => {
    const mk = new MirrorKit({ clusters, activeCluster: 'us-east' });
    expect(fieldOf(() => mk.consumer({ groupId: '' })).field).toBe('groupId');
    expect(fieldOf(() => mk.consumer({ groupId: 'g', automaticFailover: { target: 'mars' } })).code).toBe(
      'CLIENT_UNKNOWN_ALIAS',
    );
    expect(fieldOf(() => mk.producer({ automaticFailover: { target: 'mars' } })).field).toBe(
      'automaticFailover.target',
    );
  });
});
