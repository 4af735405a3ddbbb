import { MirrorKit } from '@mirrorkit/client';
import { DefaultReplicationPolicy, regionKey, tryParseRegionKey } from '@mirrorkit/core';
import {
  type Check,
  count,
  createTopic,
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
import { logLevel } from 'kafkajs';

/** Options of {@link runAggregation}. */
export interface AggregationOptions {
  /** Progress lines (the summary is {@link formatAggregation}'s job). Default: silent. */
  log?: (line: string) => void;
  /** Aborting stops the consumer, the producers, MirrorMaker 2 and all four clusters, then rejects. */
  signal?: AbortSignal;
  /** Sensor readings each edge produces. Default 300. */
  readingsPerEdge?: number;
  /** Sensors per edge. Default 4. */
  sensorsPerEdge?: number;
}

export type { Check };

/** The central aggregate of one edge, next to what that edge produced. */
export interface EdgeFigures {
  readonly edge: string;
  /** The remote topic on central the edge's readings arrived in (`edge-1.sensor-data`). */
  readonly topic: string;
  readonly produced: number;
  /** Distinct readings aggregated for this edge. */
  readonly received: number;
  /** Readings the edge produced that central never aggregated. Must be 0. */
  readonly missing: number;
  /** Extra copies of readings already aggregated (at-least-once redeliveries), not counted twice. */
  readonly duplicates: number;
  /** Readings whose topic named this edge but whose key says another edge made them. Must be 0. */
  readonly misattributed: number;
  readonly sensors: number;
  readonly minC: number;
  readonly meanC: number;
  readonly maxC: number;
  /** Count, min, mean and max equal what the edge produced. */
  readonly aggregateMatches: boolean;
}

/** What a run observed. */
export interface AggregationResult extends ExampleResult {
  readonly edges: readonly EdgeFigures[];
  /** Records on central whose topic the policy could not trace to an edge. Must be 0. */
  readonly unknownOrigin: number;
}

const EDGES = ['edge-1', 'edge-2', 'edge-3'] as const;
const CENTRAL = 'central';
const TOPIC = 'sensor-data';
const GROUP = 'dashboard';
const PARTITIONS = 2;
const CLIENT_ID = 'example-aggregation';

interface Reading {
  readonly sensor: string;
  readonly celsius: number;
}

/** Running aggregate of one edge's readings, keyed by reading id so a copy counts once. */
interface Aggregate {
  readonly readings: Map<string, Reading>;
  duplicates: number;
  misattributed: number;
}

/**
 * Fan-in on four fresh local clusters: three edge sites (`edge-1`, `edge-2`, `edge-3`) each produce
 * sensor readings to their own `sensor-data`, and one MirrorMaker 2 with three flows copies them to
 * `central` as `edge-1.sensor-data`, `edge-2.sensor-data` and `edge-3.sensor-data`. One MirrorKit
 * consumer on central subscribes to every remote copy and aggregates per edge, naming the edge from
 * the topic name through the replication policy (`topicSource`). The run checks every reading of
 * every edge was aggregated once, under its own edge.
 *
 * @returns the figures and checks; it rejects only when the example could not run (or was aborted).
 */
export async function runAggregation(options: AggregationOptions = {}): Promise<AggregationResult> {
  const startedAt = Date.now();
  const log = progressLog(options.log, startedAt);
  const { signal } = options;
  const readingsPerEdge = options.readingsPerEdge ?? 300;
  const sensorsPerEdge = options.sensorsPerEdge ?? 4;
  const teardown = new Teardown(log, signal);
  try {
    log(`starting Kafka clusters ${EDGES.join(', ')} and ${CENTRAL} …`);
    const clusters = await startLocalClusters(teardown, [...EDGES, CENTRAL], signal);
    const byAlias = new Map(clusters.map((cluster) => [cluster.alias, cluster]));
    const clusterOf = (alias: string): KafkaCluster => byAlias.get(alias) as KafkaCluster;
    for (const edge of EDGES) await createTopic(localKafka(clusterOf(edge), CLIENT_ID), TOPIC, PARTITIONS);

    log(`starting MirrorMaker 2: ${EDGES.map((edge) => `${edge}->${CENTRAL}`).join(', ')}, topic ${TOPIC} …`);
    await startLocalMirrorMaker(
      teardown,
      {
        properties: mirrorMakerTestProperties({
          clusters: Object.fromEntries(clusters.map((cluster) => [cluster.alias, cluster.bootstrapServers])),
          flows: EDGES.map((edge) => `${edge}->${CENTRAL}`),
          extra: {
            topics: TOPIC,
            // Nobody consumes on the edges, so there are no group offsets to checkpoint.
            'emit.checkpoints.enabled': 'false',
          },
        }),
        // Only the herders that write into central (MM2's --clusters central): without it MM2 also
        // runs a heartbeat herder for every other pair of the four clusters, nine more on 2 cores.
        targetClusters: [CENTRAL],
      },
      signal,
    );

    const policy = new DefaultReplicationPolicy();
    const mk = new MirrorKit({
      clusters: Object.fromEntries(
        clusters.map((cluster) => [cluster.alias, { brokers: [...cluster.brokers] }]),
      ),
      activeCluster: CENTRAL,
      policy,
      logLevel: logLevel.NOTHING,
    });
    const consumer = mk.consumer({
      groupId: GROUP,
      // Remote topics appear when MM2 first sees each edge's topic; pick them up within a second.
      metadataRefreshMs: 1000,
      kafkajs: { maxWaitTimeInMs: 200 },
    });
    teardown.add('the consumer', () => consumer.disconnect());
    consumer.on('subscription:changed', ({ added }) => log(`consumer: now reading ${added.join(', ')}`));
    consumer.on('error', (error) => log(`consumer: ${error.message}`));

    const aggregates = new Map<string, Aggregate>(
      EDGES.map((edge) => [edge, { readings: new Map(), duplicates: 0, misattributed: 0 }]),
    );
    let unknownOrigin = 0;
    // `edge-1.sensor-data`, `edge-2.sensor-data`, … and any edge added later; nothing else.
    await consumer.subscribe({
      topics: [TOPIC],
      remote: true,
      sourceAliases: [...EDGES],
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        // The edge comes from the topic name, through the same policy MM2 used to name it.
        const edge = policy.topicSource(topic);
        const aggregate = edge === null ? undefined : aggregates.get(edge);
        if (!aggregate) {
          unknownOrigin++;
          return;
        }
        const id = message.key?.toString() ?? '';
        // The key was minted on the edge (`edge-2:reading-17`): an independent witness of origin.
        if (tryParseRegionKey(id)?.region !== edge) aggregate.misattributed++;
        if (aggregate.readings.has(id)) aggregate.duplicates++;
        else aggregate.readings.set(id, JSON.parse(message.value?.toString() ?? '{}') as Reading);
      },
    });

    // Each edge writes its readings in rounds, all three at once, while central aggregates.
    const produced = new Map<string, Map<string, Reading>>(EDGES.map((edge) => [edge, new Map()]));
    const producers = await Promise.all(
      EDGES.map(async (edge) => {
        const producer = localKafka(clusterOf(edge), CLIENT_ID).producer({ idempotent: true });
        await producer.connect();
        teardown.add(`the ${edge} producer`, () => producer.disconnect());
        return producer;
      }),
    );
    log(`each edge produces ${count(readingsPerEdge)} readings from ${sensorsPerEdge} sensors to ${TOPIC}`);
    await inRounds(readingsPerEdge, 10, signal, async (indices) => {
      await Promise.all(
        EDGES.map(async (edge, e) => {
          const messages = indices.map((i) => {
            const reading: Reading = {
              sensor: `${edge}/sensor-${i % sensorsPerEdge}`,
              // Deterministic, spread over 10 °C, each edge 4 °C warmer than the previous one.
              celsius: 15 + 4 * e + ((i * 37 + e * 11) % 100) / 10,
            };
            const id = regionKey(edge, `reading-${String(i).padStart(4, '0')}`);
            produced.get(edge)?.set(id, reading);
            return { key: id, value: JSON.stringify(reading) };
          });
          await producers[e]?.send({ topic: TOPIC, acks: -1, messages });
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    });

    const total = EDGES.length * readingsPerEdge;
    log(`waiting for central to aggregate all ${count(total)} readings …`);
    const aggregated = (): number => [...aggregates.values()].reduce((sum, a) => sum + a.readings.size, 0);
    if (!(await until(() => aggregated() >= total, 60_000, signal)))
      log(`only ${count(aggregated())} of ${count(total)} readings arrived within 60 s`);
    // A late copy would show up as a duplicate; give one a moment to arrive before judging.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const edges = EDGES.map((edge): EdgeFigures => {
      const aggregate = aggregates.get(edge) as Aggregate;
      const sent = produced.get(edge) as Map<string, Reading>;
      const got = stats([...aggregate.readings.values()]);
      const want = stats([...sent.values()]);
      return {
        edge,
        topic: policy.formatRemoteTopic(edge, TOPIC),
        produced: sent.size,
        received: aggregate.readings.size,
        missing: [...sent.keys()].filter((id) => !aggregate.readings.has(id)).length,
        duplicates: aggregate.duplicates,
        misattributed: aggregate.misattributed,
        sensors: new Set([...aggregate.readings.values()].map((r) => r.sensor)).size,
        ...got,
        aggregateMatches:
          got.count === want.count &&
          got.minC === want.minC &&
          got.maxC === want.maxC &&
          Math.abs(got.meanC - want.meanC) < 1e-9,
      };
    });
    const checks: Check[] = [
      ...edges.map((f) => ({
        name: `every reading of ${f.edge} (${count(f.produced)}) aggregated once, from ${f.topic}`,
        ok: f.missing === 0 && f.received === f.produced && f.misattributed === 0,
      })),
      {
        name: 'every edge aggregate (count, min, mean, max) equals what the edge produced',
        ok: edges.every((f) => f.aggregateMatches),
      },
      { name: 'every record on central was traced to an edge by its topic name', ok: unknownOrigin === 0 },
    ];
    return {
      passed: checks.every((c) => c.ok),
      checks,
      edges,
      unknownOrigin,
      elapsedMs: Date.now() - startedAt,
    };
  } finally {
    const stopping = Date.now();
    await teardown.close();
    log(`stopped the clients, MirrorMaker 2 and all four clusters in ${Date.now() - stopping} ms`);
  }
}

function stats(readings: readonly Reading[]): { count: number; minC: number; meanC: number; maxC: number } {
  const values = readings.map((r) => r.celsius);
  return {
    count: values.length,
    minC: values.length ? Math.min(...values) : Number.NaN,
    meanC: values.length ? values.reduce((sum, v) => sum + v, 0) / values.length : Number.NaN,
    maxC: values.length ? Math.max(...values) : Number.NaN,
  };
}

/** The summary main.ts prints: one row per edge, each check and the verdict. */
export function formatAggregation(result: AggregationResult): string {
  const header = [
    'origin',
    'remote topic on central',
    'produced',
    'received',
    'missing',
    'dupl.',
    'sensors',
    'min °C',
    'mean °C',
    'max °C',
  ];
  const rows = result.edges.map((f) => [
    f.edge,
    f.topic,
    count(f.produced),
    count(f.received),
    count(f.missing),
    count(f.duplicates),
    String(f.sensors),
    f.minC.toFixed(1),
    f.meanC.toFixed(2),
    f.maxC.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `  ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')}`;
  return [
    `Aggregation: ${EDGES.join(', ')} → ${CENTRAL}, topic ${TOPIC}, group ${GROUP} (one MirrorMaker 2, ${EDGES.length} flows)`,
    '',
    line(header),
    ...rows.map(line),
    '',
    formatVerdict(result),
  ].join('\n');
}
