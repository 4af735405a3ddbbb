import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MirrorKit } from '@mirrorkit/client';
import { createTopicsAndWait } from '@mirrorkit/core';
import { type ReplicatorLogger, startReplicator } from '@mirrorkit/replicator';
import { type KafkaCluster, startCluster, startMirrorMaker } from '@mirrorkit/testkit';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, uniqueName } from './kafka-context.js';
import { runNode } from './spawn-node.js';

// Both secure clusters are started once for the file: each costs a broker JVM.
const PASSWORD_VAR = 'PW';
let sasl: KafkaCluster;
let ssl: KafkaCluster;

function connection(cluster: KafkaCluster): Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'> {
  const security = cluster.security!;
  return {
    brokers: [...cluster.brokers],
    ssl: security.kafkajsSsl,
    ...(security.kafkajsSasl ? { sasl: security.kafkajsSasl } : {}),
  };
}

function kafka(config: Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>): Kafka {
  return new Kafka({
    ...config,
    clientId: 'secure-test',
    logLevel: logLevel.NOTHING,
    retry: { retries: 1 },
    connectionTimeout: 3000,
  });
}

async function createTopic(cluster: KafkaCluster, topic: string): Promise<void> {
  const admin = kafka(connection(cluster)).admin();
  await admin.connect();
  try {
    await createTopicsAndWait(admin, { topics: [{ topic, numPartitions: 1 }] });
  } finally {
    await admin.disconnect();
  }
}

async function readValues(cluster: KafkaCluster, topic: string, count: number): Promise<string[]> {
  // A replicated topic appears only once the replicator created it; subscribing earlier fails.
  const admin = kafka(connection(cluster)).admin();
  await admin.connect();
  try {
    await eventually(
      `${topic} exists`,
      async () => ((await admin.listTopics()).includes(topic) ? true : undefined),
      90_000,
    );
  } finally {
    await admin.disconnect();
  }
  const consumer = kafka(connection(cluster)).consumer({ groupId: uniqueName('secure-reader') });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void values.push(message.value?.toString() ?? ''),
    });
    await eventually(`${count} records on ${topic}`, async () => (values.length >= count ? true : undefined));
  } finally {
    await consumer.disconnect();
  }
  return values;
}

beforeAll(async () => {
  [sasl, ssl] = await Promise.all([
    startCluster({ alias: 'secure-sasl', security: 'SASL_SSL' }),
    startCluster({ alias: 'secure-ssl', security: 'SSL' }),
  ]);
}, 150_000);

afterAll(async () => {
  await Promise.all([sasl?.stop(), ssl?.stop()]);
});

describe('secure testkit clusters', () => {
  it('serve the MirrorKit producer and consumer on SASL_SSL and on SSL', async () => {
    for (const cluster of [sasl, ssl]) {
      const topic = uniqueName('secure-orders');
      await createTopic(cluster, topic);
      const mk = new MirrorKit({
        clusters: { [cluster.alias]: connection(cluster) },
        activeCluster: cluster.alias,
        logLevel: logLevel.NOTHING,
      });
      const producer = mk.producer();
      await producer.connect();
      try {
        await producer.send({
          topic,
          messages: [
            { key: 'k1', value: 'v1' },
            { key: 'k2', value: 'v2' },
          ],
        });
      } finally {
        await producer.disconnect();
      }
      const seen: string[] = [];
      const consumer = mk.consumer({ groupId: uniqueName('secure-group') });
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => void seen.push(message.value?.toString() ?? ''),
      });
      try {
        await eventually(`both records on ${cluster.alias}`, async () =>
          seen.length >= 2 ? true : undefined,
        );
      } finally {
        await consumer.disconnect();
      }
      expect(seen).toEqual(['v1', 'v2']);
    }
  }, 60_000);

  it('refuse a wrong SCRAM password and a client without a certificate', async () => {
    const security = sasl.security!;
    const wrong = kafka({
      brokers: [...sasl.brokers],
      ssl: security.kafkajsSsl,
      sasl: { mechanism: 'scram-sha-512', username: security.scram!.username, password: 'not-the-password' },
    }).admin();
    await expect(wrong.connect()).rejects.toThrow(/SASL|authentic/i);
    await wrong.disconnect().catch(() => undefined);

    const noCert = kafka({ brokers: [...ssl.brokers], ssl: { ca: [ssl.security!.tls.caPem] } }).admin();
    await expect(noCert.connect()).rejects.toThrow();
    await noCert.disconnect().catch(() => undefined);

    // Plaintext to a TLS listener gets nowhere either.
    const plain = kafka({ brokers: [...ssl.brokers] }).admin();
    await expect(plain.connect()).rejects.toThrow();
    await plain.disconnect().catch(() => undefined);
  }, 60_000);

  it('carry real MirrorMaker 2 from a SASL_SSL cluster to an SSL cluster', async () => {
    const topic = uniqueName('secure-mm2');
    await createTopic(sasl, topic);
    const s = sasl.security!;
    const t = ssl.security!;
    const lines: Record<string, string> = {
      clusters: 'src, dst',
      'src.bootstrap.servers': sasl.bootstrapServers,
      'src.security.protocol': 'SASL_SSL',
      'src.sasl.mechanism': 'SCRAM-SHA-512',
      'src.sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${s.scram!.username}" password="${s.scram!.password}";`,
      'src.ssl.truststore.type': 'PKCS12',
      'src.ssl.truststore.location': s.tls.truststoreP12File,
      'src.ssl.truststore.password': s.tls.storePassword,
      'dst.bootstrap.servers': ssl.bootstrapServers,
      'dst.security.protocol': 'SSL',
      'dst.ssl.truststore.type': 'PKCS12',
      'dst.ssl.truststore.location': t.tls.truststoreP12File,
      'dst.ssl.truststore.password': t.tls.storePassword,
      'dst.ssl.keystore.type': 'PKCS12',
      'dst.ssl.keystore.location': t.tls.keystoreP12File,
      'dst.ssl.keystore.password': t.tls.storePassword,
      'src->dst.enabled': 'true',
      'src->dst.topics': topic,
      'replication.factor': '1',
      'checkpoints.topic.replication.factor': '1',
      'heartbeats.topic.replication.factor': '1',
      'offset-syncs.topic.replication.factor': '1',
      'offset.storage.replication.factor': '1',
      'status.storage.replication.factor': '1',
      'config.storage.replication.factor': '1',
      'refresh.topics.interval.seconds': '1',
      'sync.topic.acls.enabled': 'false',
      'tasks.max': '1',
    };
    const producer = kafka(connection(sasl)).producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ value: `m${i}` })) });
    await producer.disconnect();
    const mm2 = await startMirrorMaker({
      properties: `${Object.entries(lines)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n')}\n`,
      targetClusters: ['dst'],
    });
    try {
      const values = await readValues(ssl, `src.${topic}`, 20);
      expect(new Set(values)).toEqual(new Set(Array.from({ length: 20 }, (_, i) => `m${i}`)));
    } finally {
      await mm2.stop();
    }
  }, 120_000);

  /** The mm2.properties a user would write for these clusters: the password only as `${env:PW}`. */
  function sidecarProperties(topic: string): string {
    const s = sasl.security!;
    const t = ssl.security!;
    return [
      'clusters = src, dst',
      `src.bootstrap.servers = ${sasl.bootstrapServers}`,
      'src.security.protocol = SASL_SSL',
      'src.sasl.mechanism = SCRAM-SHA-512',
      `src.sasl.jaas.config = org.apache.kafka.common.security.scram.ScramLoginModule required username="${s.scram!.username}" password="\${env:PW}";`,
      'src.ssl.truststore.type = PEM',
      `src.ssl.truststore.location = ${s.tls.caFile}`,
      `dst.bootstrap.servers = ${ssl.bootstrapServers}`,
      'dst.security.protocol = SSL',
      'dst.ssl.truststore.type = PEM',
      `dst.ssl.truststore.location = ${t.tls.caFile}`,
      'dst.ssl.keystore.type = PEM',
      `dst.ssl.keystore.location = ${t.tls.clientKeystorePemFile}`,
      'src->dst.enabled = true',
      `src->dst.topics = ${topic}`,
      'replication.factor = 1',
      'checkpoints.topic.replication.factor = 1',
      'heartbeats.topic.replication.factor = 1',
      'offset-syncs.topic.replication.factor = 1',
      'refresh.topics.interval.seconds = 1',
      'emit.checkpoints.interval.seconds = 1',
      'emit.heartbeats.interval.seconds = 1',
      'sync.topic.acls.enabled = false',
      '',
    ].join('\n');
  }

  /** Secrets that must never be printed: the SCRAM password and the body of the client key. */
  function secrets(): string[] {
    const keyBody = ssl
      .security!.tls.clientKeyPem.split('\n')
      .filter((line) => line && !line.startsWith('-----'));
    return [sasl.security!.scram!.password, ...keyBody];
  }

  function expectNoSecret(text: string, where: string): void {
    for (const secret of secrets()) expect(text.includes(secret), `${where} holds a secret`).toBe(false);
  }

  it('carry the sidecar from SASL_SSL to SSL without printing a secret', async () => {
    const topic = uniqueName('secure-sidecar');
    await createTopic(sasl, topic);
    const producer = kafka(connection(sasl)).producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ value: `s${i}` })) });
    await producer.disconnect();
    const lines: string[] = [];
    const capture = (level: string) => (message: string, fields?: Record<string, unknown>) =>
      void lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    const log: ReplicatorLogger = { info: capture('info'), warn: capture('warn'), error: capture('error') };
    const replicator = await startReplicator({
      properties: sidecarProperties(topic),
      env: { PW: sasl.security!.scram!.password },
      httpPort: 0,
      log,
    });
    try {
      const values = await readValues(ssl, `src.${topic}`, 20);
      expect(new Set(values)).toEqual(new Set(Array.from({ length: 20 }, (_, i) => `s${i}`)));
      const health = await (await fetch(`http://127.0.0.1:${replicator.httpPort}/healthz`)).text();
      const metrics = await (await fetch(`http://127.0.0.1:${replicator.httpPort}/metrics`)).text();
      expect(metrics.length).toBeGreaterThan(0);
      expectNoSecret(health, '/healthz');
      expectNoSecret(metrics, '/metrics');
    } finally {
      await replicator.stop();
    }
    expect(lines.length).toBeGreaterThan(0);
    expectNoSecret(lines.join('\n'), 'the replicator log');
  }, 90_000);

  it('serve the CLI status on the same file, with no secret in --json output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mirrorkit-secure-cli-'));
    try {
      const file = join(dir, 'mm2.properties');
      writeFileSync(file, sidecarProperties(uniqueName('secure-cli')));
      const bin = fileURLToPath(new URL('../packages/cli/dist/bin/mirrorkit.js', import.meta.url));
      // The CLI child inherits the test's environment; the variable lives only for this run.
      process.env[PASSWORD_VAR] = sasl.security!.scram!.password;
      const run = await runNode(bin, ['status', '--config', file, '--json']).finally(() => {
        delete process.env[PASSWORD_VAR];
      });
      expectNoSecret(run.stdout + run.stderr, 'mirrorkit status --json');
      const status = JSON.parse(run.stdout) as { clusters: { alias: string; reachable: boolean }[] };
      expect(status.clusters.map((c) => [c.alias, c.reachable])).toEqual([
        ['src', true],
        ['dst', true],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
