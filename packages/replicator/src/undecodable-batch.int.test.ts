import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { MirrorKit, type MirrorKitConsumer } from '@mirrorkit/client';
import { createTopicsAndWait, MirrorKitUndecodableBatchError, readTopicToEnd } from '@mirrorkit/core';
import { type KafkaCluster, startCluster, storedBatches } from '@mirrorkit/testkit';
import { CompressionTypes, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import { type Replicator, startReplicator } from './replicator.js';
import { testLog } from './replicator-test-log.testing.js';

// A real fault on a real broker: a record batch whose bytes rotted on disk after it was written.
// Its CRC is made to match again, so the broker serves it (and Kafka's DumpLogSegments calls it
// valid), but its zstd payload does not decompress. MirrorKit must name it, hold that partition
// at it (never skip it), and keep every other partition going.

const requireFromHere = createRequire(import.meta.url);
const crc32c = requireFromHere('kafkajs/src/protocol/recordBatch/crc32C') as (buffer: Buffer) => number;

const PER_BATCH = 100;
const BATCHES = 3;
const BAD_OFFSET = 100n;

/** Overwrites the compressed records of the batch at `baseOffset` and fixes its CRC. */
function rotBatch(segment: string, baseOffset: bigint): void {
  const log = readFileSync(segment);
  for (let at = 0; at + 12 <= log.length; ) {
    const length = log.readInt32BE(at + 8);
    const end = at + 12 + length;
    if (log.readBigInt64BE(at) === baseOffset) {
      // Batch header: 61 bytes up to the records; keep 4 bytes of the zstd frame's magic.
      log.fill(0x5a, at + 61 + 4, end);
      // CRC-32C covers attributes (at + 21) to the end of the batch.
      log.writeUInt32BE(crc32c(log.subarray(at + 21, end)), at + 17);
      writeFileSync(segment, log);
      return;
    }
    at = end;
  }
  throw new Error(`no batch at offset ${baseOffset} in ${segment}`);
}

describe('a record batch that cannot be decoded, served by a real broker', () => {
  let source: KafkaCluster;
  const bad = uniqueName('rotten');
  const good = uniqueName('healthy');
  let replicator: Replicator | undefined;
  let consumer: MirrorKitConsumer | undefined;

  beforeAll(async () => {
    source = await startCluster({ alias: 'rot-src' });
    const kafka = kafkaFor(source.bootstrapServers);
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, {
      topics: [
        { topic: bad, numPartitions: 1 },
        { topic: good, numPartitions: 1 },
      ],
    });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    for (const topic of [bad, good]) {
      for (let b = 0; b < BATCHES; b++) {
        await producer.send({
          topic,
          compression: CompressionTypes.ZSTD,
          messages: Array.from({ length: PER_BATCH }, (_, i) => ({
            key: `k-${b * PER_BATCH + i}`,
            value: `value ${b * PER_BATCH + i} `.repeat(8),
          })),
        });
      }
    }
    await producer.disconnect();
    await source.kill();
    rotBatch(join(source.dataDir, 'log', `${bad}-0`, '00000000000000000000.log'), BAD_OFFSET);
    await source.restart();
    // The broker's own tool reads the rotten batch as a valid zstd batch: only decoding fails.
    const stored = await storedBatches(join(source.dataDir, 'log'), bad, 0);
    expect(stored.map((b) => [b.baseOffset, b.codec])).toEqual([
      [0n, 'zstd'],
      [100n, 'zstd'],
      [200n, 'zstd'],
    ]);
  }, 180_000);

  afterAll(async () => {
    await source?.stop();
  });

  afterEach(async () => {
    await consumer?.disconnect();
    consumer = undefined;
    await replicator?.stop();
    replicator = undefined;
  });

  it('a MirrorKit consumer reports the partition and offset, delivers nothing from there on, and reads the other topic in full', async () => {
    const mk = new MirrorKit({
      clusters: { 'rot-src': { brokers: [source.bootstrapServers] } },
      activeCluster: 'rot-src',
      logLevel: logLevel.NOTHING,
    });
    consumer = mk.consumer({ groupId: uniqueName('rot'), noCheckpoint: 'earliest' });
    const errors: Error[] = [];
    consumer.on('error', (error) => errors.push(error));
    const delivered = new Map<string, bigint[]>([
      [bad, []],
      [good, []],
    ]);
    await consumer.subscribe({ topics: [bad, good], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        delivered.get(topic)?.push(BigInt(message.offset));
      },
    });
    const reported = await eventually(
      'the undecodable batch is reported',
      async () => errors.find((e) => e instanceof MirrorKitUndecodableBatchError),
      60_000,
    );
    expect(reported).toMatchObject({
      code: 'RECORDS_UNDECODABLE',
      topic: bad,
      partition: 0,
      offset: BAD_OFFSET,
    });
    expect(reported.message).toContain(`${bad}[0]`);
    expect(reported.message).toContain('zstd');
    await eventually('the healthy topic is read in full', async () =>
      delivered.get(good)?.length === BATCHES * PER_BATCH ? true : undefined,
    );
    // Give a skipping consumer every chance to show it: nothing at or after the rotten batch.
    await new Promise((r) => setTimeout(r, 2000));
    const badOffsets = delivered.get(bad) ?? [];
    expect(badOffsets.length).toBe(Number(BAD_OFFSET));
    expect(badOffsets.every((o) => o < BAD_OFFSET)).toBe(true);
    expect(new Set(badOffsets).size).toBe(badOffsets.length);
  });

  it('the sidecar copies the other topic in full, copies the rotten one up to the batch, and stays unhealthy naming it', async () => {
    const { west } = sharedClusters();
    replicator = await startReplicator({
      properties: `
clusters = rot-src, rot-dst
rot-src.bootstrap.servers = ${source.bootstrapServers}
rot-dst.bootstrap.servers = ${west}
rot-src->rot-dst.enabled = true
rot-src->rot-dst.topics = ${bad}, ${good}
replication.factor = 1
checkpoints.topic.replication.factor = 1
heartbeats.topic.replication.factor = 1
offset-syncs.topic.replication.factor = 1
sync.topic.acls.enabled = false
`,
      log: testLog(40),
    });
    const target = kafkaFor(west);
    await eventually(
      'the healthy topic is copied in full',
      async () =>
        (await readTopicToEnd(target, `rot-src.${good}`).catch(() => [])).length === BATCHES * PER_BATCH
          ? true
          : undefined,
      60_000,
    );
    await eventually('the flow reports the rotten batch', async () => {
      const errors = Object.values(replicator?.health().errors ?? {});
      return errors.some((e) => e.includes(`${bad}[0]`) && e.includes(`offset ${BAD_OFFSET}`))
        ? true
        : undefined;
    });
    await new Promise((r) => setTimeout(r, 2000));
    const copied = await readTopicToEnd(target, `rot-src.${bad}`);
    expect(copied.map((r) => r.key?.toString())).toEqual(
      Array.from({ length: Number(BAD_OFFSET) }, (_, i) => `k-${i}`),
    );
    // Still unhealthy while the partition is held, though the healthy topic copies fine.
    expect(replicator.health().ready === false || Object.keys(replicator.health().errors).length > 0).toBe(
      true,
    );
    expect(
      replicator.metrics.counter('mirrorkit_replicator_errors_total', {
        flow: 'rot-src->rot-dst',
        kind: 'copy',
      }),
    ).toBeGreaterThan(0);
  });
});
