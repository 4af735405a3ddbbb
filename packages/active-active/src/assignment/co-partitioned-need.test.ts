import { DefaultReplicationPolicy, groupAssignmentNeedOf } from '@mirrorkit/core';
import kafkajs, { type Consumer, Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { dedupBatch } from '../dedup/dedup-batch-handler.js';
import { dedupExactlyOnce } from '../dedup/dedup-exactly-once.js';
import { dedup } from '../dedup/dedup-handler.js';
import { Deduplicator } from '../dedup/deduplicator.js';
import { PartitionedSeenKeyStore } from '../seen-keys/partitioned-seen-key-store.js';
import type { SeenKeyStore } from '../seen-keys/seen-key-store.js';
import { SeenKeyStores } from '../seen-keys/seen-key-stores.js';
import { CO_PARTITIONED_PROTOCOL, CoPartitioning } from './co-partitioned-assigner.js';

const { PartitionAssigners } = kafkajs;
const policy = new DefaultReplicationPolicy();
const noop = async () => undefined;
// A kafkajs consumer that is never connected: following it only subscribes to its events.
const consumer = (): Consumer => new Kafka({ brokers: ['127.0.0.1:9'] }).consumer({ groupId: 'g' });

describe('the assignment a dedup handler asks of MirrorKit’s consumer', () => {
  it('is co-partitioned, first, with the configured assigners (kafkajs’s default when none) after it', () => {
    const need = groupAssignmentNeedOf(dedup(noop, { deduplicator: new Deduplicator({ maxKeys: 10 }) }));
    expect(need?.protocol).toBe(CO_PARTITIONED_PROTOCOL);
    const assigners = need?.assigners(policy, undefined) ?? [];
    expect(assigners).toHaveLength(2);
    expect(assigners[1]).toBe(PartitionAssigners.roundRobin);
    const mine = () => ({
      name: 'Mine',
      version: 1,
      protocol: () => ({ name: 'Mine', metadata: Buffer.alloc(0) }),
      assign: async () => [],
    });
    const withMine = need?.assigners(policy, [mine]) ?? [];
    expect(withMine.slice(1)).toEqual([mine]);
    // Asked again (a failover's new consumer), the same co-partitioning: its stickiness carries over.
    expect((need?.assigners(policy, undefined) ?? [])[0]).toBe(assigners[0]);
  });

  it('keeps a co-partitioned assigner the user configured, and uses the one given in the options', () => {
    const theirs = new CoPartitioning();
    const need = groupAssignmentNeedOf(dedup(noop, { deduplicator: new Deduplicator({ maxKeys: 10 }) }));
    expect(need?.assigners(policy, [theirs.partitionAssigner])).toEqual([theirs.partitionAssigner]);
    const given = new CoPartitioning();
    const withGiven = groupAssignmentNeedOf(
      dedup(noop, { deduplicator: new Deduplicator({ maxKeys: 10 }), coPartitioning: given }),
    );
    expect(withGiven?.assigners(policy, undefined)[0]).toBe(given.partitionAssigner);
  });

  it('is asked by dedupBatch’s and dedupExactlyOnce’s eachBatch too, and by neither with coPartitioning: false', () => {
    const seen = new Deduplicator({ maxKeys: 10 });
    expect(groupAssignmentNeedOf(dedupBatch(noop, { deduplicator: seen }).runConfig.eachBatch)).toBeDefined();
    expect(groupAssignmentNeedOf(dedup(noop, { deduplicator: seen, coPartitioning: false }))).toBeUndefined();
    expect(
      groupAssignmentNeedOf(
        dedupBatch(noop, { deduplicator: seen, coPartitioning: false }).runConfig.eachBatch,
      ),
    ).toBeUndefined();
    expect(groupAssignmentNeedOf(noop)).toBeUndefined();
    const kafka = new Kafka({ brokers: ['127.0.0.1:9'] });
    const store = new PartitionedSeenKeyStore(kafka, { topic: 'ledger.mirrorkit-seen' });
    const eos = dedupExactlyOnce(noop, { deduplicator: seen, store, kafka, groupId: 'ledger' });
    expect(groupAssignmentNeedOf(eos.runConfig.eachBatch)?.protocol).toBe(CO_PARTITIONED_PROTOCOL);
    expect(eos.runConfig).toMatchObject({ autoCommit: false, eachBatchAutoResolve: false });
  });

  it('has the store follow each consumer, and SeenKeyStores hands it to that cluster’s store only', () => {
    const followed: string[] = [];
    const store = (
      name: string,
    ): SeenKeyStore & { open: () => Promise<never>; close: () => Promise<void> } => ({
      remember: noop,
      open: () => Promise.reject(new Error('not opened here')),
      close: noop,
      follow: (_consumer, cluster) => {
        followed.push(`${name} <- ${cluster}`);
        return () => undefined;
      },
    });
    const stores = new SeenKeyStores({ east: store('east store'), west: store('west store') });
    const need = groupAssignmentNeedOf(
      dedup(noop, { deduplicator: new Deduplicator({ maxKeys: 10 }), store: stores }),
    );
    need?.follow(consumer(), 'west');
    need?.follow(consumer(), 'east');
    expect(followed).toEqual(['west store <- west', 'east store <- east']);
  });
});
