import { connect } from 'node:net';
import { createTopicsAndWait } from '@mirrorkit/core';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { consumeCount, kafkaFor, uniqueName } from '../../../test/kafka-context.js';
import type { FaultProxy } from './fault-proxy.js';
import { type KafkaCluster, startCluster } from './kafka-cluster.js';

const REQUEST_TIMEOUT_MS = 1500;

/** A client that gives up quickly, so a partition shows up as a timeout within seconds. */
function impatientKafka(bootstrap: string, clientId: string, requestTimeout = REQUEST_TIMEOUT_MS): Kafka {
  return new Kafka({
    clientId,
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout,
    retry: { retries: 0 },
  });
}

async function advertised(admin: Admin): Promise<string[]> {
  const { brokers } = await admin.describeCluster();
  return brokers.map((broker) => `${broker.host}:${broker.port}`);
}

/** How long `run` took and how it ended, so a test can tell a hang from a fast failure. */
async function timed(run: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await run();
    return { ms: Date.now() - started, error: undefined };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

/** The names along an error's cause chain: kafkajs wraps the real failure in a retries error. */
function causeNames(error: unknown): string[] {
  const names: string[] = [];
  for (let e = error; e instanceof Error && names.length < 10; e = e.cause) names.push(e.name);
  return names;
}

async function totalRecords(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

// This file owns its cluster: it needs proxied listeners, and it restarts the broker.
describe('fault proxies in front of a real broker', () => {
  let cluster: KafkaCluster;
  let direct: Kafka;
  let directAdmin: Admin;
  let proxyA: FaultProxy;
  let proxyB: FaultProxy;
  const topic = uniqueName('faults');
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ alias: 'fault-proxy', proxies: 2 });
    [proxyA, proxyB] = cluster.proxies as [FaultProxy, FaultProxy];
    // Default retries: the first consumer group on a fresh broker waits for __consumer_offsets.
    direct = kafkaFor(cluster.bootstrapServers, 'direct');
    directAdmin = direct.admin();
    await directAdmin.connect();
    await createTopicsAndWait(directAdmin, { topics: [{ topic, numPartitions: 1 }] });
  });
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    await directAdmin?.disconnect();
    await cluster?.stop();
  });

  function onFailureShowBroker(): void {
    onTestFailed(() => {
      console.error(`proxy stats: ${JSON.stringify(cluster.proxies.map((p) => [p.fault, p.stats()]))}`);
      console.error(`broker log tail:\n${cluster.logTail(60)}`);
    });
  }

  /** An admin through `bootstrap`, disconnected after the file. */
  async function adminVia(bootstrap: string, clientId: string): Promise<Admin> {
    const admin = impatientKafka(bootstrap, clientId).admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    return admin;
  }

  it('advertises each proxy on its own listener and the direct port on bootstrapServers', async () => {
    onFailureShowBroker();
    expect(cluster.proxy).toBe(proxyA);
    expect(cluster.proxiedBootstrapServers).toBe(proxyA.address);
    expect(new Set([cluster.bootstrapServers, proxyA.address, proxyB.address]).size).toBe(3);
    expect(proxyA.target).not.toBe(cluster.bootstrapServers);

    expect(await advertised(directAdmin)).toEqual([cluster.bootstrapServers]);
    const viaA = await adminVia(proxyA.address, 'via-a');
    expect(await advertised(viaA)).toEqual([proxyA.address]);
    const viaB = await adminVia(proxyB.address, 'via-b');
    expect(await advertised(viaB)).toEqual([proxyB.address]);
    expect(proxyA.stats().bytesToClient).toBeGreaterThan(0);
  });

  it('in pass mode a producer through the proxy writes records the direct client sees', async () => {
    onFailureShowBroker();
    const before = await totalRecords(directAdmin, topic);
    const statsBefore = proxyA.stats();
    const producer = impatientKafka(proxyA.address, 'pass-producer').producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    await producer.send({ topic, acks: -1, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    expect(await totalRecords(directAdmin, topic)).toBe(before + 3);
    const statsAfter = proxyA.stats();
    expect(statsAfter.accepted).toBeGreaterThan(statsBefore.accepted);
    expect(statsAfter.bytesToTarget).toBeGreaterThan(statsBefore.bytesToTarget);
  });

  it('blackhole makes proxied requests time out while direct and other-proxy clients produce and read; heal restores the same client', async () => {
    onFailureShowBroker();
    const cutOff = impatientKafka(proxyA.address, 'cut-off').producer();
    await cutOff.connect();
    cleanups.push(() => cutOff.disconnect());
    await cutOff.send({ topic, acks: -1, messages: [{ value: 'before-partition' }] });

    proxyA.blackhole();
    try {
      const held = proxyA.stats();
      const hung = await timed(() => cutOff.send({ topic, acks: -1, messages: [{ value: 'lost?' }] }));
      expect(causeNames(hung.error)).toContain('KafkaJSRequestTimeoutError');
      // It hung until the request timeout rather than failing on a closed connection.
      expect(hung.ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
      expect(hung.ms).toBeLessThan(15_000);

      const freshAdmin = impatientKafka(proxyA.address, 'fresh-during-partition').admin();
      const fresh = await timed(() => freshAdmin.connect());
      await freshAdmin.disconnect();
      expect(fresh.error).toBeInstanceOf(Error);

      // Everyone else still reaches the broker: the direct listener and the other proxy.
      const sideTopic = uniqueName('during-partition');
      await createTopicsAndWait(directAdmin, { topics: [{ topic: sideTopic, numPartitions: 1 }] });
      const directProducer = direct.producer();
      await directProducer.connect();
      await directProducer.send({
        topic: sideTopic,
        acks: -1,
        messages: [{ value: 'direct-1' }, { value: 'direct-2' }],
      });
      await directProducer.disconnect();
      const other = impatientKafka(proxyB.address, 'other-proxy').producer();
      await other.connect();
      await other.send({ topic: sideTopic, acks: -1, messages: [{ value: 'via-b' }] });
      await other.disconnect();
      const seen = await consumeCount(direct, sideTopic, 3, { timeoutMs: 30_000 });
      expect(seen.map((record) => record.value).sort()).toEqual(['direct-1', 'direct-2', 'via-b']);

      const stillHeld = proxyA.stats();
      expect(stillHeld.bytesToClient).toBe(held.bytesToClient);
      expect(stillHeld.bytesToTarget).toBe(held.bytesToTarget);
    } finally {
      proxyA.heal();
    }

    await cutOff.send({ topic, acks: -1, messages: [{ value: 'after-heal' }] });
    const healedAdmin = await adminVia(proxyA.address, 'after-heal');
    expect(await advertised(healedAdmin)).toEqual([proxyA.address]);
  });

  it('reset fails proxied requests at once with a connection error; heal lets the client reconnect', async () => {
    onFailureShowBroker();
    // A long request timeout, so a fast failure here cannot be a timeout.
    const producer = impatientKafka(proxyA.address, 'reset-victim', 10_000).producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    await producer.send({ topic, acks: -1, messages: [{ value: 'before-reset' }] });
    const resetsBefore = proxyA.stats().resets;

    proxyA.reset();
    try {
      const failed = await timed(() => producer.send({ topic, acks: -1, messages: [{ value: 'x' }] }));
      expect(causeNames(failed.error).join(' ')).toMatch(/KafkaJSConnection(Closed)?Error/);
      expect(causeNames(failed.error)).not.toContain('KafkaJSRequestTimeoutError');
      expect(failed.ms).toBeLessThan(5_000);
      expect(proxyA.stats().resets).toBeGreaterThan(resetsBefore);
      expect(await advertised(directAdmin)).toEqual([cluster.bootstrapServers]);
    } finally {
      proxyA.heal();
    }
    await producer.send({ topic, acks: -1, messages: [{ value: 'after-reset' }] });
  });

  it('latency slows every proxied round trip by the delay each way', async () => {
    onFailureShowBroker();
    const admin = await adminVia(proxyA.address, 'latent');
    const quick = await timed(() => admin.fetchTopicOffsets(topic));
    expect(quick.error).toBeUndefined();
    proxyA.latency(300);
    try {
      const slow = await timed(() => admin.fetchTopicOffsets(topic));
      expect(slow.error).toBeUndefined();
      expect(slow.ms).toBeGreaterThanOrEqual(2 * 300);
    } finally {
      proxyA.heal();
    }
  });

  it('restart keeps the proxies on their ports, and stop closes them', async () => {
    onFailureShowBroker();
    const addresses = cluster.proxies.map((proxy) => proxy.address);
    await cluster.restart();
    expect(cluster.proxies.map((proxy) => proxy.address)).toEqual(addresses);
    // The direct listener answers first; the proxied one is bound by then, but give it a few tries.
    let lastError: unknown;
    for (let i = 0; i < 20; i++) {
      const admin = impatientKafka(proxyB.address, 'after-restart').admin();
      try {
        await admin.connect();
        expect(await advertised(admin)).toEqual([proxyB.address]);
        lastError = undefined;
        break;
      } catch (error) {
        lastError = error;
        await new Promise((done) => setTimeout(done, 250));
      } finally {
        await admin.disconnect();
      }
    }
    expect(lastError).toBeUndefined();

    await directAdmin.disconnect();
    await cluster.stop();
    const refused = await new Promise<string | undefined>((done) => {
      const socket = connect({ host: proxyA.host, port: proxyA.port });
      socket.on('connect', () => {
        socket.destroy();
        done(undefined);
      });
      socket.on('error', (error: NodeJS.ErrnoException) => done(error.code));
    });
    expect(refused).toBe('ECONNREFUSED');
    expect(proxyA.stats().open).toBe(0);
  });
});
