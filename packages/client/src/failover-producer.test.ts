import type { Kafka, Producer, ProducerConfig, ProducerRecord, RecordMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { type ResolvedConfig, resolveConfig } from './client-config.js';
import { MirrorKitClientError } from './client-error.js';
import type { ClusterHealth } from './client-events.js';
import { MirrorKitProducer, type MirrorKitProducerOptions } from './failover-producer.js';
import { HealthMonitor } from './health-monitor.js';
import { MirrorKit } from './mirror-kit.js';
import { producerSettings } from './producer-settings.js';
import { backoffDelay, resolveFailoverRetry } from './retry-backoff.js';

// The producer's state machine against in-memory clusters, whose every answer the test controls.
// The integration tests check the same promises on real brokers.

const sleep = (ms: number): Promise<void> => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

async function until(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(1);
  }
}

/** A cluster in memory: what it holds, whether it answers, and how its sends are answered. */
class FakeCluster {
  readonly alias: string;
  /** False: connects and sends fail as with a dead broker. */
  up = true;
  /** While set, connects never answer (a broker that accepts TCP but does not reply). */
  connectHangs = false;
  /** While set, sends wait for it before they are answered. */
  hold: Promise<void> | null = null;
  /** Refuses single records, as a live broker refuses one that is too large. */
  refuse: ((value: string) => Error | null) | null = null;
  readonly log: string[] = [];
  readonly settings: ProducerConfig[] = [];
  connects = 0;
  inFlight = 0;
  maxInFlight = 0;

  constructor(alias: string) {
    this.alias = alias;
  }

  values(): string[] {
    return [...this.log];
  }
}

class FakeProducer {
  readonly #cluster: FakeCluster;
  #connected = false;

  constructor(cluster: FakeCluster) {
    this.#cluster = cluster;
  }

  async connect(): Promise<void> {
    const cluster = this.#cluster;
    cluster.connects++;
    await sleep(1);
    if (cluster.connectHangs) await new Promise<never>(() => undefined);
    if (!cluster.up) throw new Error(`Connection error: connect ECONNREFUSED (${cluster.alias})`);
    this.#connected = true;
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    const cluster = this.#cluster;
    cluster.inFlight++;
    cluster.maxInFlight = Math.max(cluster.maxInFlight, cluster.inFlight);
    try {
      await sleep(0);
      if (cluster.hold) await cluster.hold;
      if (!this.#connected) throw new Error('The producer is disconnected');
      if (!cluster.up) throw new Error(`Connection error: read ECONNRESET (${cluster.alias})`);
      const values = record.messages.map((m) => String(m.value));
      for (const value of values) {
        const refused = cluster.refuse?.(value);
        if (refused) throw refused;
      }
      const baseOffset = String(cluster.log.length);
      cluster.log.push(...values);
      return [{ topicName: record.topic, partition: 0, errorCode: 0, baseOffset }];
    } finally {
      cluster.inFlight--;
    }
  }

  async disconnect(): Promise<void> {
    this.#connected = false;
  }
}

/** Health from the fake clusters themselves; `unhealthy` is what the test declares dead. */
class FakeMonitor extends HealthMonitor {
  readonly unhealthy = new Set<string>();
  readonly #clusters: ReadonlyMap<string, FakeCluster>;

  constructor(config: ResolvedConfig, clusters: ReadonlyMap<string, FakeCluster>) {
    super(config, {});
    this.#clusters = clusters;
  }

  override health(alias: string): ClusterHealth {
    return {
      alias,
      reachable: this.#clusters.get(alias)?.up ?? false,
      consecutiveFailures: 0,
      failingSinceMs: null,
      lastError: null,
      heartbeatAgeMs: {},
      checkedAtMs: Date.now(),
    };
  }

  override isUnhealthy(alias: string): boolean {
    return this.unhealthy.has(alias);
  }

  override async probe(alias: string): Promise<ClusterHealth> {
    await sleep(0);
    return this.health(alias);
  }

  override start(): void {}

  override async stop(): Promise<void> {}

  /** Declares `alias` dead, as the real monitor does past its failure threshold. */
  kill(alias: string): void {
    const cluster = this.#clusters.get(alias);
    if (cluster) cluster.up = false;
    this.unhealthy.add(alias);
    this.emit('unhealthy', this.health(alias));
  }
}

function world(options: MirrorKitProducerOptions = {}): {
  producer: MirrorKitProducer;
  monitor: FakeMonitor;
  a: FakeCluster;
  b: FakeCluster;
  c: FakeCluster;
} {
  const clusters = new Map(['a', 'b', 'c'].map((alias) => [alias, new FakeCluster(alias)]));
  const real = resolveConfig({
    clusters: {
      a: { brokers: ['127.0.0.1:1'] },
      b: { brokers: ['127.0.0.1:2'] },
      c: { brokers: ['127.0.0.1:3'] },
    },
    activeCluster: 'a',
  });
  const config: ResolvedConfig = {
    ...real,
    kafka(alias: string): Kafka {
      const cluster = clusters.get(alias) as FakeCluster;
      const kafka = {
        producer(settings?: ProducerConfig): Producer {
          cluster.settings.push(settings ?? {});
          // Only connect, send and disconnect are used; the cast is the price of a fake.
          return new FakeProducer(cluster) as unknown as Producer;
        },
      };
      return kafka as unknown as Kafka;
    },
  };
  const monitor = new FakeMonitor(config, clusters);
  const producer = new MirrorKitProducer(config, monitor, {
    failoverRetry: { initialDelayMs: 5, maxDelayMs: 20, attemptTimeoutMs: 200 },
    ...options,
  });
  return {
    producer,
    monitor,
    a: clusters.get('a') as FakeCluster,
    b: clusters.get('b') as FakeCluster,
    c: clusters.get('c') as FakeCluster,
  };
}

/** Sends one record per call and keeps every answer, so a test can await them all. */
function sender(producer: MirrorKitProducer): {
  send(value: string): Promise<RecordMetadata[]>;
  all(): Promise<unknown[]>;
  errors: Map<string, unknown>;
} {
  const answers: Promise<unknown>[] = [];
  const errors = new Map<string, unknown>();
  return {
    errors,
    send(value: string) {
      const answer = producer.send({ topic: 'orders', messages: [{ key: 'k', value }] });
      answers.push(
        answer.catch((error: unknown) => {
          errors.set(value, error);
        }),
      );
      return answer;
    },
    all: () => Promise.all(answers),
  };
}

const range = (prefix: string, from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

/** Resolves a gate created by {@link gate}. */
function gate(): { promise: Promise<void>; open(): void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('MirrorKitProducer keeps per-key order across a failover', () => {
  it('delivers the queue one acknowledged send at a time before sends made meanwhile', async () => {
    const { producer, a, b } = world();
    await producer.connect();
    const s = sender(producer);
    for (const v of range('a', 0, 5)) void s.send(v);
    await s.all();
    const held = gate();
    b.hold = held.promise;
    const switching = producer.failover('b');
    for (const v of range('v', 0, 10)) void s.send(v);
    await until('the delivery to begin', () => producer.switching?.phase === 'draining' && b.inFlight > 0);
    // Made while the queue is delivered: they join its end instead of going out now.
    for (const v of range('v', 10, 20)) void s.send(v);
    expect(b.inFlight).toBe(1);
    expect(producer.queued).toBe(20);
    b.hold = null;
    held.open();
    await switching;
    expect(b.maxInFlight).toBe(1);
    expect(producer.switching).toBeNull();
    for (const v of range('v', 20, 25)) void s.send(v);
    await s.all();
    expect(s.errors).toEqual(new Map());
    expect(a.values()).toEqual(range('a', 0, 5));
    expect(b.values()).toEqual(range('v', 0, 25));
  });

  it('sends in flight on a dying cluster keep their place ahead of later sends', async () => {
    // The fake monitor has no MM2 heartbeats to read: without this the guard would hold.
    const { producer, monitor, a, b } = world({ automaticFailover: true, splitBrainGuard: false });
    await producer.connect();
    a.hold = new Promise<void>(() => undefined);
    const s = sender(producer);
    for (const v of range('v', 0, 5)) void s.send(v);
    await until('the sends to be in flight on a', () => a.inFlight === 5);
    monitor.kill('a');
    expect(producer.activeCluster).toBe('b');
    for (const v of range('v', 5, 10)) void s.send(v);
    await s.all();
    expect(s.errors).toEqual(new Map());
    expect(a.values()).toEqual([]);
    expect(b.values()).toEqual(range('v', 0, 10));
  });

  it('holds an automatic failover under the split-brain guard when no MM2 heartbeat was ever seen', async () => {
    const { producer, monitor, b } = world({ automaticFailover: true });
    const held: unknown[] = [];
    const started: unknown[] = [];
    producer.on('failover:held', (info) => held.push(info));
    producer.on('failover:start', (info) => started.push(info));
    await producer.connect();
    monitor.kill('a');
    await sleep(20);
    expect(held).toEqual([
      expect.objectContaining({ from: 'a', to: 'b', reason: 'no-heartbeats', heartbeatAgeMs: null }),
    ]);
    expect(started).toEqual([]);
    expect(producer.activeCluster).toBe('a');
    expect(b.connects).toBe(0);
  });

  it('lets a healthy cluster answer what is in flight there in a planned failover, so nothing is written twice', async () => {
    const { producer, a, b } = world();
    await producer.connect();
    const held = gate();
    a.hold = held.promise;
    const s = sender(producer);
    for (const v of range('v', 0, 3)) void s.send(v);
    await until('the sends to be in flight on a', () => a.inFlight === 3);
    const switching = producer.failover('b');
    for (const v of range('v', 3, 6)) void s.send(v);
    await sleep(20);
    held.open();
    await switching;
    await s.all();
    expect(s.errors).toEqual(new Map());
    expect(a.values()).toEqual(range('v', 0, 3));
    expect(b.values()).toEqual(range('v', 3, 6));
  });

  it('fails alone a record the target refuses while it answers, and delivers the rest in order', async () => {
    const { producer, b } = world();
    await producer.connect();
    b.refuse = (value) =>
      value === 'v1' ? new Error('The request included a message larger than the max') : null;
    const switching = producer.failover('b');
    const s = sender(producer);
    for (const v of range('v', 0, 4)) void s.send(v);
    await switching;
    await s.all();
    expect([...s.errors.keys()]).toEqual(['v1']);
    expect(String(s.errors.get('v1'))).toMatch(/larger than the max/);
    expect(b.values()).toEqual(['v0', 'v2', 'v3']);
  });
});

describe('MirrorKitProducer when the failover target does not answer', () => {
  it('retries the connect with backoff, tells the truth meanwhile, and delivers everything once it answers', async () => {
    const { producer, a, b } = world();
    const failed: { attempt: number; from: string; to: string; error: string }[] = [];
    const retries: { attempt: number; delayMs: number }[] = [];
    let completed = 0;
    producer.on('failover:failed', (i) =>
      failed.push({ attempt: i.attempt, from: i.from, to: i.to, error: i.error.message }),
    );
    producer.on('failover:retry', (i) => retries.push({ attempt: i.attempt, delayMs: i.delayMs }));
    producer.on('failover:complete', () => completed++);
    await producer.connect();
    b.up = false;
    const switching = producer.failover('b');
    const s = sender(producer);
    for (const v of range('v', 0, 10)) void s.send(v);
    await until('three failed tries', () => failed.length >= 3);
    expect(producer.activeCluster).toBe('b');
    expect(producer.switching).toMatchObject({ from: 'a', to: 'b', phase: 'connecting' });
    expect(producer.queued).toBe(10);
    expect(completed).toBe(0);
    b.up = true;
    await switching;
    await s.all();
    expect(s.errors).toEqual(new Map());
    expect(a.values()).toEqual([]);
    expect(b.values()).toEqual(range('v', 0, 10));
    expect(failed.map((f) => f.attempt)).toEqual(failed.map((_, i) => i + 1));
    expect(failed.every((f) => f.from === 'a' && f.to === 'b' && /ECONNREFUSED/.test(f.error))).toBe(true);
    expect(retries.map((r) => r.attempt)).toEqual(failed.map((f) => f.attempt + 1));
    expect(retries.every((r) => r.delayMs >= 1 && r.delayMs <= 20)).toBe(true);
    expect(completed).toBe(1);
    expect(producer.switching).toBeNull();
    await producer.disconnect();
  });

  it('gives up a connect that never answers after attemptTimeoutMs, and tries again', async () => {
    const { producer, b } = world({
      failoverRetry: { initialDelayMs: 5, maxDelayMs: 5, attemptTimeoutMs: 30 },
    });
    const errors: unknown[] = [];
    producer.on('failover:failed', (i) => errors.push(i.error));
    await producer.connect();
    b.connectHangs = true;
    const switching = producer.failover('b');
    const s = sender(producer);
    void s.send('v0');
    await until('a timed-out try', () => errors.length >= 1);
    expect(errors[0]).toBeInstanceOf(MirrorKitClientError);
    expect(errors[0]).toMatchObject({ code: 'CLIENT_CLUSTER_UNREACHABLE' });
    b.connectHangs = false;
    await switching;
    await s.all();
    expect(b.values()).toEqual(['v0']);
  });

  it('keeps the head of the queue in place when the target stops answering during the delivery', async () => {
    const { producer, b } = world();
    const failed: number[] = [];
    producer.on('failover:failed', (i) => failed.push(i.attempt));
    await producer.connect();
    const held = gate();
    b.hold = held.promise;
    const switching = producer.failover('b');
    const s = sender(producer);
    for (const v of range('v', 0, 5)) void s.send(v);
    await until('the delivery to begin', () => b.inFlight > 0);
    b.up = false;
    b.hold = null;
    held.open();
    await until('two failed deliveries', () => failed.length >= 2);
    expect(producer.switching).toMatchObject({ phase: 'draining' });
    expect(producer.queued).toBe(5);
    b.up = true;
    await switching;
    await s.all();
    expect(s.errors).toEqual(new Map());
    expect(b.values()).toEqual(range('v', 0, 5));
    expect(failed).toEqual(failed.map((_, i) => i + 1));
  });

  it('rejects a send that waits past sendTimeoutMs with a typed error saying it was not sent, and keeps the rest', async () => {
    const { producer, b } = world({ sendTimeoutMs: 150 });
    await producer.connect();
    b.up = false;
    const switching = producer.failover('b');
    const s = sender(producer);
    const early = s.send('early');
    await expect(early).rejects.toMatchObject({ code: 'CLIENT_SEND_TIMEOUT' });
    await expect(early).rejects.toThrow(/not acknowledged.*failover to b.*never sent/);
    const late = s.send('late');
    b.up = true;
    await switching;
    await late;
    expect(b.values()).toEqual(['late']);
  });

  it('rejects a failover replaced by another before it finished, and the other delivers the queue', async () => {
    const { producer, b, c } = world();
    await producer.connect();
    b.up = false;
    const first = producer.failover('b');
    const s = sender(producer);
    for (const v of range('v', 0, 3)) void s.send(v);
    await sleep(10);
    const second = producer.failover('c');
    await expect(first).rejects.toMatchObject({ code: 'CLIENT_FAILOVER_FAILED' });
    await second;
    await s.all();
    expect(producer.activeCluster).toBe('c');
    expect(c.values()).toEqual(range('v', 0, 3));
    expect(b.values()).toEqual([]);
  });

  it('on disconnect during a retried failover, what waits rejects with typed errors and the failover with CLIENT_CLOSED', async () => {
    const { producer, b } = world({ sendTimeoutMs: 50 });
    await producer.connect();
    b.up = false;
    const switching = producer.failover('b');
    const s = sender(producer);
    const waiting = s.send('v0');
    await producer.disconnect();
    await expect(waiting).rejects.toMatchObject({ code: 'CLIENT_SEND_TIMEOUT' });
    await expect(switching).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    await expect(producer.send({ topic: 'orders', messages: [{ value: 'x' }] })).rejects.toMatchObject({
      code: 'CLIENT_CLOSED',
    });
  });
});

describe('MirrorKitProducer settings', () => {
  it('creates idempotent kafkajs producers with one request in flight', async () => {
    const { producer, a } = world({ kafkajs: { retry: { retries: 3 } } });
    await producer.connect();
    expect(a.settings).toEqual([{ idempotent: true, maxInFlightRequests: 1, retry: { retries: 3 } }]);
  });

  it('refuses maxInFlightRequests other than 1 for an idempotent producer, naming the option', () => {
    const mk = new MirrorKit({ clusters: { a: { brokers: ['127.0.0.1:1'] } }, activeCluster: 'a' });
    for (const maxInFlightRequests of [5, 0]) {
      let error: unknown;
      try {
        mk.producer({ kafkajs: { maxInFlightRequests } });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(MirrorKitClientError);
      expect(error).toMatchObject({ code: 'CLIENT_CONFIG_INVALID', field: 'kafkajs.maxInFlightRequests' });
    }
    expect(() => mk.producer({ kafkajs: { idempotent: true, maxInFlightRequests: 1 } })).not.toThrow();
  });

  it('leaves maxInFlightRequests to an application that turned idempotence off', () => {
    expect(producerSettings({ idempotent: false, maxInFlightRequests: 5 })).toEqual({
      idempotent: false,
      maxInFlightRequests: 5,
    });
    expect(producerSettings()).toEqual({ idempotent: true, maxInFlightRequests: 1 });
  });

  it('backs off exponentially up to the cap, with jitter over the upper half', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5, 30].map((n) => backoffDelay(n, options, () => 1))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect([1, 2, 5].map((n) => backoffDelay(n, options, () => 0))).toEqual([50, 100, 500]);
  });

  it('refuses a retry setting that is not a positive number, naming it', () => {
    expect(() => resolveFailoverRetry({ initialDelayMs: 0 })).toThrow(/failoverRetry\.initialDelayMs/);
    expect(() => resolveFailoverRetry({ initialDelayMs: 500, maxDelayMs: 100 })).toThrow(
      /failoverRetry\.maxDelayMs/,
    );
    expect(resolveFailoverRetry()).toEqual({
      initialDelayMs: 250,
      maxDelayMs: 5000,
      attemptTimeoutMs: 10_000,
    });
  });
});
