import { type Checkpoint, type FlowConfig, parseMirrorMakerProperties } from '@mirrorkit/core';
import { describe, expect, it } from 'vitest';
import { CheckpointWriter, type GroupOffsets } from './checkpoint-writer.js';

const flow = parseMirrorMakerProperties(
  [
    'clusters = a, b',
    'a.bootstrap.servers = a:9092',
    'b.bootstrap.servers = b:9092',
    'a->b.enabled = true',
  ].join('\n'),
).flows[0] as FlowConfig;

function writer(state: { offset: string; failNext: boolean; sent: Checkpoint[][] }) {
  return new CheckpointWriter({
    flow,
    isOwnGroup: (g) => g.startsWith('mirrorkit-replicator'),
    listGroups: async () => ['app', 'mirrorkit-replicator'],
    fetchOffsets: async (): Promise<GroupOffsets> => [
      { topic: 'orders', partitions: [{ partition: 0, offset: state.offset, metadata: 'm' }] },
    ],
    translate: (_key, _topic, _partition, upstream) => ({ downstream: upstream + 1000n, exact: true }),
    generation: () => 0,
    send: async (checkpoints) => {
      if (state.failNext) {
        state.failNext = false;
        throw new Error('NOT_LEADER_OR_FOLLOWER');
      }
      state.sent.push([...checkpoints]);
    },
  });
}

const owned = new Set(['orders\u00000']);

describe('CheckpointWriter', () => {
  it('remembers a checkpoint as emitted only once the target acknowledged it', async () => {
    const state = { offset: '42', failNext: true, sent: [] as Checkpoint[][] };
    const w = writer(state);
    await expect(w.emit(owned, ['orders'])).rejects.toThrow('NOT_LEADER_OR_FOLLOWER');
    expect(w.latest).toEqual([]);
    // The group stayed put: the next round sends the same checkpoint again, not nothing.
    expect(await w.emit(owned, ['orders'])).toEqual({ written: 1, exact: 1 });
    expect(state.sent[0]?.[0]).toMatchObject({
      consumerGroupId: 'app',
      topic: 'a.orders',
      upstreamOffset: 42n,
      downstreamOffset: 1042n,
      metadata: 'm',
    });
    // Acknowledged and unchanged: nothing more.
    expect(await w.emit(owned, ['orders'])).toEqual({ written: 0, exact: 0 });
    state.offset = '43';
    expect((await w.emit(owned, ['orders'])).written).toBe(1);
    expect(w.latest.map((c) => c.upstreamOffset)).toEqual([43n]);
  });

  it('skips its own groups and partitions it does not own', async () => {
    const state = { offset: '1', failNext: false, sent: [] as Checkpoint[][] };
    const w = writer(state);
    expect((await w.emit(new Set(['orders\u00001']), ['orders'])).written).toBe(0);
    await w.emit(owned, ['orders']);
    expect(state.sent.flat().map((c) => c.consumerGroupId)).toEqual(['app']);
  });
});
