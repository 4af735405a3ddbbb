import { createTopicsAndWait, DefaultReplicationPolicy } from '@mirrorkit/core';
import type { Producer } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, recordCount, sharedClusters, uniqueName } from '../../../../test/kafka-context.js';
import { type Replicator, startReplicator } from '../replicator.js';
import { testLog } from '../replicator-test-log.testing.js';
import { flowProperties, kafkaAt, sleep } from './fault-harness.testing.js';
import { readIds } from './replication-oracle.testing.js';

const policy = new DefaultReplicationPolicy();
/** Records of ~10 kB: two interleaved aborted transactions span several 1 MiB fetches. */
const PAD = 'x'.repeat(10_000);
const INTERLEAVED = 200;

describe('the sidecar on a source written in transactions, some aborted', () => {
  let replicator: Replicator | undefined;
  const producers: Producer[] = [];
  afterAll(async () => {
    await replicator?.stop();
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
  });

  it('copies exactly the committed records, in order, when fetches begin inside several aborted transactions', async () => {
    const { east, west } = sharedClusters();
    const a = uniqueName('src');
    const b = uniqueName('dst');
    const topic = uniqueName('ledger');
    const remote = policy.formatRemoteTopic(a, topic);
    const source = kafkaAt(east);
    const target = kafkaAt(west);
    const admin = source.admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const transactional = async (name: string): Promise<Producer> => {
      const producer = source.producer({
        transactionalId: uniqueName(name),
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await producer.connect();
      producers.push(producer);
      return producer;
    };
    const send = (producer: { send: Producer['send'] }, id: string) =>
      producer.send({ topic, acks: -1, messages: [{ value: `${id}|${PAD}` }] });

    // Three producers with transactions open at once, records interleaved: two abort, one commits.
    // A fetch that begins after their first records begins inside both aborted ones.
    const [abortA, abortB, commitD] = await Promise.all(['a', 'b', 'd'].map(transactional));
    const [ta, tb, td] = await Promise.all(
      [abortA, abortB, commitD].map((p) => (p as Producer).transaction()),
    );
    const expected: string[] = [];
    for (let i = 0; i < INTERLEAVED; i++) {
      await send(ta as never, `a-${i}`);
      await send(tb as never, `b-${i}`);
      await send(td as never, `d-${i}`);
      expected.push(`d-${i}`);
    }
    await ta?.abort();
    await tb?.abort();
    await td?.commit();
    // After them: a committed transaction and plain records.
    const commitC = await transactional('c');
    const tc = await commitC.transaction();
    for (let i = 0; i < 50; i++) {
      await send(tc as never, `c-${i}`);
      expected.push(`c-${i}`);
    }
    await tc.commit();
    const plain = source.producer({ idempotent: true });
    await plain.connect();
    producers.push(plain);
    for (let i = 0; i < 50; i++) {
      await send(plain, `p-${i}`);
      expected.push(`p-${i}`);
    }

    replicator = await startReplicator({
      properties: flowProperties({ a, b, source: east, target: west, topics: topic }),
      httpPort: 0,
      log: testLog(),
    });
    await eventually('the copy caught up', async () =>
      (await recordCount(target, remote)) >= expected.length ? true : undefined,
    );
    await sleep(2000); // an aborted record copied late would show by now
    // The target is written without transactions: every record on it is what the sidecar wrote.
    const copied = ((await readIds(target, remote)).get(0) ?? []).map((v) => v.split('|')[0]);
    const aborted = copied.filter((id) => id?.startsWith('a-') || id?.startsWith('b-'));
    expect(aborted, 'records of aborted transactions copied').toEqual([]);
    expect(copied).toEqual(expected);
  }, 180_000);
});
