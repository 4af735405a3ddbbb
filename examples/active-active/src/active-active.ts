import {
  Deduplicator,
  dedup,
  HybridLogicalClock,
  type LwwEntry,
  LwwMap,
  lww,
  mergeEntries,
  readStamp,
  stampMessage,
} from '@mirrorkit/active-active';
import { MirrorKit, type MirrorKitEachMessagePayload } from '@mirrorkit/client';
import { DefaultReplicationPolicy } from '@mirrorkit/core';
import {
  type Check,
  count,
  createTopic,
  duration,
  type ExampleResult,
  formatVerdict,
  inRounds,
  localKafka,
  progressLog,
  startLocalClusters,
  startLocalMirrorMaker,
  Teardown,
  until,
} from '@mirrorkit/example-support';
import { type KafkaCluster, mirrorMakerTestProperties } from '@mirrorkit/testkit';
import { type Kafka, logLevel, type Producer } from 'kafkajs';

/** Options of {@link runActiveActive}. */
export interface ActiveActiveOptions {
  /** Progress lines (the summary is {@link formatActiveActive}'s job). Default: silent. */
  log?: (line: string) => void;
  /** Aborting stops the clients, MirrorMaker 2 and both clusters, then rejects. */
  signal?: AbortSignal;
  /** Account updates each region writes. Default 400. */
  eventsPerRegion?: number;
  /** Distinct accounts the updates are spread over. Default 12. */
  accounts?: number;
  /** Every n-th update is also sent to the other region. Default 10. */
  sendToBothEvery?: number;
  /** How far us-west's wall clock lags us-east's (ms). Default 5000. */
  westClockBehindMs?: number;
}

export type { Check };

/** What one region's consumer saw and did. */
export interface RegionFigures {
  readonly region: string;
  /** Records read from `accounts` and the other region's copy, duplicates included. */
  readonly copiesRead: number;
  /** Distinct events handed to the application. */
  readonly handled: number;
  /** Events handed to the application more than once. Must be 0. */
  readonly handledMoreThanOnce: number;
  /** Events produced (anywhere) that this region never handled. Must be 0. */
  readonly missing: number;
  /** Copies `dedup()` dropped because their region key was already handled. */
  readonly duplicatesDropped: number;
  /** Events sent to both regions whose second copy did not arrive here (yet). Must be 0. */
  readonly secondCopiesMissing: number;
  /** Handled updates that `lww()` did not apply because the account held a newer write. */
  readonly olderWritesIgnored: number;
  /** Accounts in this region's last-write-wins map. */
  readonly accounts: number;
}

/** What a run observed. */
export interface ActiveActiveResult extends ExampleResult {
  /** Updates written by each region (including the two causal writes). */
  readonly produced: Readonly<Record<string, number>>;
  /** Updates deliberately sent to both regions (as a client retrying elsewhere would). */
  readonly sentToBoth: number;
  /** Distinct update ids, all of which each region must handle once. */
  readonly events: number;
  readonly regions: readonly RegionFigures[];
  /** Both regions' maps hold the same winning write for every account. */
  readonly converged: boolean;
  /** …and that write is, for every account, the one with the greatest HLC stamp of all produced. */
  readonly newestWriteWon: boolean;
  /** us-west's write made after seeing us-east's won in both regions, though its clock lags. */
  readonly causalWriteWon: boolean;
  readonly westClockBehindMs: number;
  /** The converged balances, by account. */
  readonly state: Readonly<Record<string, number>>;
  /** Accounts whose winning write was made in each region. */
  readonly winnersByRegion: Readonly<Record<string, number>>;
}

const EAST = 'us-east';
const WEST = 'us-west';
const TOPIC = 'accounts';
const GROUP = 'ledger';
const PARTITIONS = 3;
const CAUSAL_ACCOUNT = 'acct-causal';
const CLIENT_ID = 'example-active-active';

/** One region: its cluster, clock, producer, consumer and the application's state. */
interface Region {
  readonly alias: string;
  readonly kafka: Kafka;
  readonly clock: HybridLogicalClock;
  readonly producer: Producer;
  /** The application's state: one last-write-wins register per account. */
  readonly state: LwwMap<number>;
  /** Times the application handled each event id (after dedup). */
  readonly handled: Map<string, number>;
  /** Copies of each event id read (before dedup). */
  readonly copies: Map<string, number>;
  duplicatesDropped: number;
  olderWritesIgnored: number;
}

interface AccountUpdate {
  readonly account: string;
  readonly balance: number;
}

/**
 * Active-active on two fresh local clusters: us-east and us-west both take writes to `accounts`,
 * and two MirrorMaker 2 flows copy each region's topic to the other (`us-east.accounts` on us-west,
 * `us-west.accounts` on us-east). Each region's producer stamps its updates with `stampMessage`
 * (region key, HLC stamp, origin); every n-th update is also sent to the other region. A consumer
 * in each region reads `accounts` and the other's copy through `dedup()` and `lww()` into an
 * in-memory `LwwMap`. The run checks that each region handled every update exactly once and that
 * both maps converge on the newest write, including one made under a lagging clock.
 *
 * @returns the figures and checks; it rejects only when the example could not run (or was aborted).
 */
export async function runActiveActive(options: ActiveActiveOptions = {}): Promise<ActiveActiveResult> {
  const startedAt = Date.now();
  const log = progressLog(options.log, startedAt);
  const { signal } = options;
  const eventsPerRegion = options.eventsPerRegion ?? 400;
  const accounts = options.accounts ?? 12;
  const bothEvery = options.sendToBothEvery ?? 10;
  const westClockBehindMs = options.westClockBehindMs ?? 5000;
  const teardown = new Teardown(log, signal);
  try {
    log(`starting Kafka clusters ${EAST} and ${WEST} …`);
    const clusters = await startLocalClusters(teardown, [EAST, WEST], signal);
    const [east, west] = clusters as [KafkaCluster, KafkaCluster];
    for (const cluster of clusters) await createTopic(localKafka(cluster, CLIENT_ID), TOPIC, PARTITIONS);

    log(`starting MirrorMaker 2: ${EAST}->${WEST} and ${WEST}->${EAST}, topic ${TOPIC} …`);
    await startLocalMirrorMaker(
      teardown,
      {
        properties: mirrorMakerTestProperties({
          clusters: { [EAST]: east.bootstrapServers, [WEST]: west.bootstrapServers },
          flows: [`${EAST}->${WEST}`, `${WEST}->${EAST}`],
          // Only the local `accounts` is replicated; `us-west.accounts` never travels back, so no loop.
          extra: { topics: TOPIC },
        }),
      },
      signal,
    );
    const policy = new DefaultReplicationPolicy();

    const regions: Region[] = [];
    for (const [cluster, skewMs] of [
      [east, 0],
      [west, -westClockBehindMs],
    ] as const) {
      const kafka = localKafka(cluster, CLIENT_ID);
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      teardown.add(`the ${cluster.alias} producer`, () => producer.disconnect());
      regions.push({
        alias: cluster.alias,
        kafka,
        // A lagging clock in us-west: last-write-wins must still follow causality.
        clock: new HybridLogicalClock({ region: cluster.alias, now: () => Date.now() + skewMs }),
        producer,
        state: new LwwMap<number>(),
        handled: new Map(),
        copies: new Map(),
        duplicatesDropped: 0,
        olderWritesIgnored: 0,
      });
    }
    const [ra, rb] = regions as [Region, Region];
    const otherOf = (r: Region): Region => (r === ra ? rb : ra);

    // Waiting for MM2's remote topics is not needed for correctness (the MirrorKit consumer picks
    // new remote topics up by itself), but it makes the first rebalance the only one.
    for (const r of regions) {
      const remote = policy.formatRemoteTopic(otherOf(r).alias, TOPIC);
      const admin = r.kafka.admin();
      await admin.connect();
      const created = await until(async () => (await admin.listTopics()).includes(remote), 60_000, signal);
      await admin.disconnect();
      if (!created) throw new Error(`MirrorMaker 2 did not create ${remote} on ${r.alias} within 60 s`);
    }

    for (const r of regions) {
      const mk = new MirrorKit({
        clusters: { [EAST]: { brokers: [...east.brokers] }, [WEST]: { brokers: [...west.brokers] } },
        activeCluster: r.alias,
        policy,
        logLevel: logLevel.NOTHING,
      });
      const consumer = mk.consumer({
        groupId: GROUP,
        metadataRefreshMs: 1000,
        kafkajs: { maxWaitTimeInMs: 200 },
      });
      teardown.add(`the ${r.alias} consumer`, () => consumer.disconnect());
      const apply = lww<MirrorKitEachMessagePayload, number>({
        clock: r.clock,
        store: {
          get: (account) => r.state.entry(account),
          put: (account, entry) => void r.state.apply(account, entry),
        },
        writeOf: ({ message }) => {
          const update = JSON.parse(message.value?.toString() ?? '{}') as AccountUpdate;
          return { key: update.account, value: update.balance };
        },
      });
      apply.events.on('stale', () => {
        r.olderWritesIgnored++;
      });
      // The seen-set lives in memory here; a real service also persists it (KafkaSeenKeyStore), so
      // a restarted consumer still recognises what it handled.
      const handle = dedup<MirrorKitEachMessagePayload>(
        async (payload) => {
          const id = payload.message.key?.toString() ?? '';
          r.handled.set(id, (r.handled.get(id) ?? 0) + 1);
          await apply(payload);
        },
        { deduplicator: new Deduplicator({ maxKeys: 100_000 }) },
      );
      handle.events.on('duplicate', () => {
        r.duplicatesDropped++;
      });
      await consumer.subscribe({ topics: [TOPIC], remote: true, fromBeginning: true });
      await consumer.run({
        eachMessage: async (payload) => {
          const id = payload.message.key?.toString() ?? '';
          r.copies.set(id, (r.copies.get(id) ?? 0) + 1);
          await handle(payload);
        },
      });
    }
    log(`consumers in both regions read ${TOPIC} and the other region's copy, through dedup() and lww()`);

    // Every write produced, for the oracle: the newest write per account by HLC stamp.
    const writes: { account: string; entry: LwwEntry<number> }[] = [];
    const produced: Record<string, number> = { [EAST]: 0, [WEST]: 0 };
    const sentToBoth = new Set<string>();
    /** Stamps an update (region key, HLC, origin) and remembers it for the oracle. */
    const stamp = (r: Region, id: string, update: AccountUpdate) => {
      const message = stampMessage({ key: id, value: JSON.stringify(update) }, r.clock);
      const hlc = readStamp(message.headers);
      if (hlc === null) throw new Error('stampMessage wrote no HLC stamp');
      writes.push({
        account: update.account,
        entry: { stamp: hlc, id: message.key, deleted: false, value: update.balance },
      });
      produced[r.alias] = (produced[r.alias] ?? 0) + 1;
      return message;
    };

    log(
      `each region writes ${count(eventsPerRegion)} updates to ${accounts} accounts; every ${bothEvery}th also goes to the other region`,
    );
    await inRounds(eventsPerRegion, 10, signal, (indices) =>
      // Both regions write at the same time, to the same accounts: real conflicts for LWW to settle.
      Promise.all(
        regions.map(async (r, ri) => {
          const messages = indices.map((i) => {
            const account = `acct-${String((i * 7 + ri) % accounts).padStart(2, '0')}`;
            return stamp(r, `evt-${i}`, { account, balance: 1000 * ri + i });
          });
          await r.producer.send({ topic: TOPIC, acks: -1, messages });
          // The same stamped records again, to the other region, as a client retrying there would:
          // one event, however many times and wherever it is delivered.
          const retried = messages.filter((_, k) => indices[k]! % bothEvery === 0);
          for (const message of retried) sentToBoth.add(message.key);
          await otherOf(r).producer.send({ topic: TOPIC, acks: -1, messages: retried });
        }),
      ),
    );

    // Causality under a lagging clock: us-west overwrites an account after it has seen us-east's
    // write. Its wall clock is behind, but lww() absorbed us-east's stamp into us-west's HLC.
    const causalFirst = stamp(ra, 'causal-1', { account: CAUSAL_ACCOUNT, balance: 1 });
    await ra.producer.send({ topic: TOPIC, acks: -1, messages: [causalFirst] });
    if (!(await until(() => rb.state.entry(CAUSAL_ACCOUNT) !== undefined, 60_000, signal)))
      throw new Error(`${WEST} never saw ${EAST}'s write to ${CAUSAL_ACCOUNT}`);
    const causalSecond = stamp(rb, 'causal-2', { account: CAUSAL_ACCOUNT, balance: 2 });
    await rb.producer.send({ topic: TOPIC, acks: -1, messages: [causalSecond] });

    const ids = new Set(writes.map((w) => w.entry.id));
    log(`waiting for both regions to handle all ${count(ids.size)} updates …`);
    const complete = (r: Region): boolean =>
      [...ids].every((id) => r.handled.has(id)) &&
      [...sentToBoth].every((id) => (r.copies.get(id) ?? 0) >= 2);
    if (!(await until(() => regions.every(complete), 60_000, signal)))
      log('not every update (or second copy) arrived within 60 s');
    // A late extra copy (a redelivery) would show up as a duplicate, not a second handling.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const figures = regions.map(
      (r): RegionFigures => ({
        region: r.alias,
        copiesRead: [...r.copies.values()].reduce((sum, n) => sum + n, 0),
        handled: r.handled.size,
        handledMoreThanOnce: [...r.handled.values()].filter((n) => n > 1).length,
        missing: [...ids].filter((id) => !r.handled.has(id)).length,
        duplicatesDropped: r.duplicatesDropped,
        secondCopiesMissing: [...sentToBoth].filter((id) => (r.copies.get(id) ?? 0) < 2).length,
        olderWritesIgnored: r.olderWritesIgnored,
        accounts: r.state.size,
      }),
    );
    const oracle = new Map<string, LwwEntry<number>>();
    for (const { account, entry } of writes)
      oracle.set(account, mergeEntries(oracle.get(account), entry) as LwwEntry<number>);
    const winners = (r: Region): string =>
      JSON.stringify([...r.state.entries()].map(([account, e]) => [account, e.id, e.value]).sort());
    const converged = winners(ra) === winners(rb);
    const newestWriteWon = regions.every(
      (r) =>
        r.state.size === oracle.size &&
        [...oracle].every(([account, e]) => r.state.entry(account)?.id === e.id),
    );
    const causalWriteWon = regions.every((r) => r.state.entry(CAUSAL_ACCOUNT)?.id === causalSecond.key);

    const checks: Check[] = [
      ...figures.map((f) => ({
        name: `${f.region} handled each of the ${count(ids.size)} updates exactly once`,
        ok: f.handled === ids.size && f.missing === 0 && f.handledMoreThanOnce === 0,
      })),
      ...figures.map((f) => ({
        name: `${f.region} received both copies of the ${sentToBoth.size} updates sent to both regions, and dropped one`,
        ok: f.secondCopiesMissing === 0 && f.duplicatesDropped >= sentToBoth.size,
      })),
      { name: 'both regions converged on the same balance for every account', ok: converged },
      { name: 'that balance is the newest write (by HLC stamp) of all produced', ok: newestWriteWon },
      {
        name: `us-west's write after seeing us-east's won, though its clock is ${duration(westClockBehindMs)} behind`,
        ok: causalWriteWon,
      },
    ];
    return {
      passed: checks.every((c) => c.ok),
      checks,
      produced,
      sentToBoth: sentToBoth.size,
      events: ids.size,
      regions: figures,
      converged,
      newestWriteWon,
      causalWriteWon,
      westClockBehindMs,
      state: ra.state.toObject(),
      winnersByRegion: Object.fromEntries(
        regions.map((r) => [
          r.alias,
          [...ra.state.entries()].filter(([, e]) => e.stamp.region === r.alias).length,
        ]),
      ),
      elapsedMs: Date.now() - startedAt,
    };
  } finally {
    const stopping = Date.now();
    await teardown.close();
    log(`stopped the clients, MirrorMaker 2 and both clusters in ${Date.now() - stopping} ms`);
  }
}

/** The summary main.ts prints: per-region figures, the converged state, each check and the verdict. */
export function formatActiveActive(result: ActiveActiveResult): string {
  const [a, b] = result.regions;
  const row = (label: string, of: (f: RegionFigures) => number, note: string): string =>
    `  ${label.padEnd(22)}${count(a ? of(a) : 0).padStart(8)}${count(b ? of(b) : 0).padStart(10)}  ${note}`;
  const balances = Object.entries(result.state).map(([account, balance]) => `${account}=${balance}`);
  return [
    `Active-active: ${EAST} ⇄ ${WEST}, topic ${TOPIC}, group ${GROUP} (two MirrorMaker 2 flows, DefaultReplicationPolicy)`,
    '',
    `  ${''.padEnd(22)}${(a?.region ?? '').padStart(8)}${(b?.region ?? '').padStart(10)}`,
    `  ${'updates produced'.padEnd(22)}${count(result.produced[EAST] ?? 0).padStart(8)}${count(result.produced[WEST] ?? 0).padStart(10)}  ${count(result.sentToBoth)} of them sent to both regions`,
    row('copies read', (f) => f.copiesRead, `${TOPIC} + the other region's copy`),
    row('handled', (f) => f.handled, `distinct updates (of ${count(result.events)})`),
    row('handled twice', (f) => f.handledMoreThanOnce, 'must be 0'),
    row('missing', (f) => f.missing, 'must be 0'),
    row('duplicates dropped', (f) => f.duplicatesDropped, 'by dedup(), by region key'),
    row('older writes ignored', (f) => f.olderWritesIgnored, 'by lww(): the account held a newer one'),
    row('accounts', (f) => f.accounts, 'in the last-write-wins map'),
    '',
    `  converged state: ${balances.join(' ')}`,
    `  winning writes:  ${Object.entries(result.winnersByRegion)
      .map(([region, n]) => `${n} from ${region}`)
      .join(', ')}`,
    '',
    formatVerdict(result),
  ].join('\n');
}
