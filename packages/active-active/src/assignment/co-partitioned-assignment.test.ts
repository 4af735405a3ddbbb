import { DefaultReplicationPolicy } from '@mirrorkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignCoPartitioned, type CoPartitionMember } from './co-partitioned-assignment.js';

const policy = new DefaultReplicationPolicy();

// Logical topics with their local and remote copies; counts vary so mismatches are drawn too.
const topicsArb = fc
  .uniqueArray(
    fc.record({
      name: fc.constantFrom('orders', 'accounts', 'shares', 'audit'),
      counts: fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 1, maxLength: 3 }),
    }),
    { selector: (t) => t.name, minLength: 1, maxLength: 3 },
  )
  .map((logical) =>
    logical.flatMap(({ name, counts }) =>
      counts.map((partitions, i) => ({
        topic: i === 0 ? name : policy.formatRemoteTopic(['us-east', 'us-west', 'eu'][i - 1] as string, name),
        partitions,
      })),
    ),
  );

const membersArb = fc
  .uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 9 })
  .chain((ids) =>
    fc.tuple(
      ...ids.map((memberId) =>
        fc.record({
          memberId: fc.constant(memberId),
          owned: fc.array(fc.integer({ min: -2, max: 30 }), { maxLength: 10 }),
        }),
      ),
    ),
  );

describe('assignCoPartitioned', () => {
  it('gives each partition number of every topic to exactly one member, balanced, for any input', () => {
    fc.assert(
      fc.property(membersArb, topicsArb, (members: CoPartitionMember[], topics) => {
        const { assignment, sets } = assignCoPartitioned(members, topics, policy);
        const max = Math.max(...topics.map((t) => t.partitions));
        // Every partition of every topic is assigned once, and to the owner of its number.
        const ownerOfSet = new Map<number, string>();
        for (const [memberId, numbers] of sets)
          for (const p of numbers) {
            expect(ownerOfSet.has(p)).toBe(false);
            ownerOfSet.set(p, memberId);
          }
        expect([...ownerOfSet.keys()].sort((a, b) => a - b)).toEqual([...Array(max).keys()]);
        for (const t of topics) {
          const seen: number[] = [];
          for (const [memberId, byTopic] of assignment)
            for (const p of byTopic[t.topic] ?? []) {
              expect(ownerOfSet.get(p)).toBe(memberId);
              seen.push(p);
            }
          expect(seen.sort((a, b) => a - b)).toEqual([...Array(t.partitions).keys()]);
        }
        const loads = [...sets.values()].map((s) => s.length);
        expect(loads).toHaveLength(members.length);
        expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic whatever the member order, and moves only what balance needs (sticky)', () => {
    fc.assert(
      fc.property(membersArb, topicsArb, fc.integer({ min: 0, max: 8 }), (members, topics, drop) => {
        const first = assignCoPartitioned(members, topics, policy);
        const shuffled = assignCoPartitioned([...members].reverse(), topics, policy);
        expect([...shuffled.sets].sort()).toEqual([...first.sets].sort());
        // The next generation: members report what they got; one leaves (if more than one).
        const next = members
          .filter((_, i) => members.length === 1 || i !== drop % members.length)
          .map((m) => ({ memberId: m.memberId, owned: first.sets.get(m.memberId) ?? [] }));
        const second = assignCoPartitioned(next, topics, policy);
        const setCount = Math.max(...topics.map((t) => t.partitions));
        const quota = Math.ceil(setCount / next.length);
        for (const m of next) {
          const kept = m.owned.filter((p) => second.sets.get(m.memberId)?.includes(p));
          // A survivor keeps all it had, up to its (ceil) quota.
          expect(kept.length).toBeGreaterThanOrEqual(Math.min(m.owned.length, quota - 1));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reports copies of one logical topic with different partition counts', () => {
    const { mismatches, sets } = assignCoPartitioned(
      [
        { memberId: 'a', owned: [] },
        { memberId: 'b', owned: [] },
      ],
      [
        { topic: 'orders', partitions: 4 },
        { topic: 'us-east.orders', partitions: 6 },
        { topic: 'accounts', partitions: 3 },
        { topic: 'us-east.accounts', partitions: 3 },
      ],
      policy,
    );
    expect(mismatches).toEqual([{ logicalTopic: 'orders', counts: { orders: 4, 'us-east.orders': 6 } }]);
    expect(sets.get('a')).toEqual([0, 1, 2]);
    expect(sets.get('b')).toEqual([3, 4, 5]);
  });

  it('keeps a member on its sets when one joins (only the new member takes sets away)', () => {
    const topics = [
      { topic: 'orders', partitions: 12 },
      { topic: 'us-east.orders', partitions: 12 },
    ];
    const three = assignCoPartitioned(
      ['a', 'b', 'c'].map((memberId) => ({ memberId, owned: [] })),
      topics,
      policy,
    );
    const four = assignCoPartitioned(
      [...three.sets].map(([memberId, owned]) => ({ memberId, owned })).concat({ memberId: '0', owned: [] }),
      topics,
      policy,
    );
    for (const id of ['a', 'b', 'c']) {
      expect(four.sets.get(id)).toHaveLength(3);
      for (const p of four.sets.get(id) ?? []) expect(three.sets.get(id)).toContain(p);
    }
    expect(four.sets.get('0')).toHaveLength(3);
  });
});
