// One instance of a deduplicating consumer group, run as a child process by
// co-partitioned-group.int.test.ts so that a test can SIGKILL it. Runs the built package (dist/):
// `pnpm -s build` first. Config: one JSON argument. Reports JSON lines on stdout.
//
// The handler's side effect is a record on `handledTopic` (key: the event id; value: this member
// and where the event was read), written before dedup persists the key: the test's ground truth.
import {
  CoPartitioning,
  Deduplicator,
  dedup,
  dedupExactlyOnce,
  PartitionedSeenKeyStore,
} from '@mirrorkit/active-active';
import { Kafka, logLevel, PartitionAssigners } from 'kafkajs';

const config = JSON.parse(process.argv[2] ?? '{}');
const say = (event, fields = {}) =>
  process.stdout.write(`${JSON.stringify({ event, at: Date.now(), ...fields })}\n`);

const kafka = new Kafka({ clientId: config.member, brokers: [config.bootstrap], logLevel: logLevel.NOTHING });
const seen = new Deduplicator({ maxKeys: 100_000, windowMs: 3600_000 });
const co = new CoPartitioning();
co.events.on('mismatch', (info) => say('mismatch', info));
const store = new PartitionedSeenKeyStore(kafka, {
  topic: config.storeTopic,
  partitions: config.partitions,
  retentionMs: 3600_000,
});
store.events.on('restored', (info) => say('restored', info));
store.events.on('revoked', (info) => say('revoked', info));
await store.open(seen);

const effects = kafka.producer({ idempotent: true });
await effects.connect();
const consumer = kafka.consumer({
  groupId: config.group,
  // 'round-robin': kafkajs's default, to show what co-partitioning prevents.
  partitionAssigners:
    config.assigner === 'round-robin' ? [PartitionAssigners.roundRobin] : [co.partitionAssigner],
  sessionTimeout: 6000,
  heartbeatInterval: 500,
  maxWaitTimeInMs: 100,
});
co.follow(consumer);
// 'assigner': what a consumer without kafkajs's join event does. With mode 'eos' the handler
// follows the joins (the store is restored after each partition's fence).
if (config.mode !== 'eos') store.follow(config.follow === 'assigner' ? co : consumer);
consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
  say('joined', { assignment: payload.memberAssignment, partitions: co.owned }),
);
consumer.on(consumer.events.CRASH, ({ payload }) =>
  say('crash', { error: String(payload.error), restart: payload.restart }),
);
await consumer.connect();
await consumer.subscribe({ topics: config.topics, fromBeginning: true });

let txnSeen = 0;
let inTxn = 0;
let total = 0;
// 'eos': the side effect, the key and the offset in one transaction (dedupExactlyOnce).
const handler =
  config.mode === 'eos'
    ? dedupExactlyOnce(
        async ({ topic, partition, message, transaction }) => {
          await transaction.send({
            topic: config.handledTopic,
            messages: [
              { key: message.key, value: JSON.stringify({ member: config.member, topic, partition }) },
            ],
          });
          // 'stallAt': hang inside a transaction with outputs in it (the test then SIGKILLs), once
          // this member handled that many records and 3 of the open transaction (one partition at
          // a time: `concurrency` 1).
          const committed = handler.stats().transactions;
          if (committed !== txnSeen) {
            txnSeen = committed;
            inTxn = 0;
          }
          inTxn++;
          total++;
          if (config.stallAt && total >= config.stallAt && inTxn >= 3) {
            say('stalled', { total, inTxn });
            await new Promise(() => undefined);
          }
        },
        { deduplicator: seen, store, kafka, groupId: config.group, coPartitioning: co },
      )
    : dedup(
        async ({ topic, partition, message }) => {
          await effects.send({
            topic: config.handledTopic,
            acks: -1,
            messages: [
              { key: message.key, value: JSON.stringify({ member: config.member, topic, partition }) },
            ],
          });
        },
        { deduplicator: seen, store },
      );
if (config.mode === 'eos') handler.follow(consumer);
await consumer.run(
  config.mode === 'eos'
    ? { ...handler.runConfig, partitionsConsumedConcurrently: config.concurrency ?? 4 }
    : {
        autoCommitInterval: 500,
        partitionsConsumedConcurrently: config.concurrency ?? 4,
        eachMessage: handler,
      },
);
say('running');
const timer = setInterval(() => say('stats', handler.stats()), 500);

process.on('SIGTERM', async () => {
  clearInterval(timer);
  await consumer.disconnect();
  await effects.disconnect();
  await store.close();
  say('stopped', handler.stats());
  process.exit(0);
});
