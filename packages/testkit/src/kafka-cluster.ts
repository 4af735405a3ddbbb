import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { assertClusterAlias } from './cluster-alias.js';
import { newClusterId } from './cluster-id.js';
import {
  type ClusterSecurity,
  type ClusterSecurityProtocol,
  clusterSecurity,
  SECURE_LISTENER,
  secureBrokerProperties,
} from './cluster-security.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import { freePorts } from './free-ports.js';
import { type JvmProcess, runJvmTool, startJvm } from './jvm-process.js';
import { ensureKafkaRuntime, type KafkaRuntime } from './kafka-runtime.js';
import { createScramUser, newScramUser } from './scram-users.js';
import { claimRunDir, sweepStaleRunDirs } from './stale-run-dirs.js';
import { TestkitError } from './testkit-error.js';
import { generateTlsMaterial, type TlsMaterial } from './tls-certificates.js';

/** Options for {@link startCluster}. */
export interface StartClusterOptions {
  /** The cluster's alias, e.g. `us-east`; used in folder names and messages. */
  alias: string;
  /** Kafka version; defaults to `KAFKA_VERSION` or the version pinned in the testkit's pom. */
  version?: string;
  /** Extra or overriding `server.properties` entries. */
  brokerProperties?: Readonly<Record<string, string>>;
  /** Folder under which the cluster keeps its data and log; a fresh temp folder by default. */
  baseDir?: string;
  /** How long to wait for the broker to serve requests. Default 90 s (two JVMs on two cores are slow). */
  startTimeoutMs?: number;
  /** JVM heap for the broker. Default `512m`. */
  heap?: string;
  /**
   * How many {@link FaultProxy}s to put in front of the broker (default 0). Proxy `i` gets its own
   * client listener `PROXIED_<i>` on the broker, which advertises the proxy's address, so a client
   * bootstrapped through {@link KafkaCluster.proxies}`[i]` reaches the broker only through that proxy,
   * for its bootstrap and its per-broker connections alike. `bootstrapServers`, inter-broker traffic
   * and the controller stay direct. A broker advertises one address per listener, which is why each
   * proxy needs a listener of its own: ask for one per client you want to cut off on its own.
   * Overriding `listeners` or `advertised.listeners` in {@link StartClusterOptions.brokerProperties}
   * loses the proxied listeners.
   */
  proxies?: number;
  /**
   * Puts the client listener behind TLS: `SASL_SSL` with SCRAM-SHA-512 (a user is created through the
   * broker), or `SSL` with client certificates required. Certificates are made per cluster in its
   * folder. {@link KafkaCluster.bootstrapServers} is then the secure listener and
   * {@link KafkaCluster.security} holds what a client needs; inter-broker and controller traffic stay
   * on an internal PLAINTEXT listener. Not combinable with `proxies`.
   */
  security?: ClusterSecurityProtocol;
}

/** A running single-node KRaft cluster (combined broker and controller) on loopback. */
export interface KafkaCluster {
  readonly alias: string;
  readonly version: string;
  readonly clusterId: string;
  /** `127.0.0.1:<port>`, ready to hand to kafkajs. */
  readonly bootstrapServers: string;
  /** Same as `[bootstrapServers]`, the shape kafkajs's `brokers` option takes. */
  readonly brokers: readonly string[];
  /**
   * The fault proxies asked for with {@link StartClusterOptions.proxies}, in listener order; empty
   * by default. They live as long as the cluster: they keep their ports and faults across
   * {@link KafkaCluster.kill} and {@link KafkaCluster.restart}, and {@link KafkaCluster.stop} closes them.
   *
   * @example
   * ```ts
   * const cluster = await startCluster({ alias: 'faults', proxies: 2 });
   * const [a, b] = cluster.proxies; // give client A a.address and client B b.address
   * b!.blackhole(); // B is partitioned away; A, bootstrapServers and MirrorMaker 2 are not
   * ```
   */
  readonly proxies: readonly FaultProxy[];
  /** `proxies[0]`, when there is one. */
  readonly proxy: FaultProxy | undefined;
  /** `proxies[0].address`, when there is one: a client bootstrapped here goes through `proxy` only. */
  readonly proxiedBootstrapServers: string | undefined;
  /** Credentials and certificates for a cluster started with {@link StartClusterOptions.security}. */
  readonly security: ClusterSecurity | undefined;
  readonly dataDir: string;
  readonly logFile: string;
  /** How long the last (re)start took from launching the JVM to the first successful client call. */
  readonly startupMs: number;
  /** The broker JVM's pid (the process group leader). */
  readonly pid: number;
  isRunning(): boolean;
  /** Clean shutdown (SIGTERM), then removes the data folder. The handle is done after this. */
  stop(): Promise<void>;
  /** SIGKILL, as if the host died. The data folder stays, so {@link KafkaCluster.restart} recovers it. */
  kill(): Promise<void>;
  /** Starts the broker again on the same ports and data folder (stopping it first if running). */
  restart(): Promise<void>;
  /** The last lines of the broker log, for test failure reports. */
  logTail(lines?: number): string;
}

const RUN_DIR_PREFIX = 'mirrorkit-kafka-';
const BROKER_MAIN = 'kafka.Kafka';
const STORAGE_TOOL = 'kafka.tools.StorageTool';
// Each proxy costs the broker a listener with its own acceptor and processor threads.
const MAX_PROXIES = 16;

/** A broker listener that is reached through a fault proxy and advertises the proxy's port. */
interface ProxiedListener {
  name: string;
  /** Where the broker binds the listener; only the proxy connects here. */
  port: number;
  /** What the broker advertises for the listener in metadata. */
  proxyPort: number;
}

function serverProperties(
  ports: {
    client: number;
    controller: number;
    proxied: readonly ProxiedListener[];
    secure?: { port: number; protocol: ClusterSecurityProtocol; props: Record<string, string> };
  },
  dataDir: string,
  overrides: Readonly<Record<string, string>>,
): string {
  const secureListener: ProxiedListener[] = ports.secure
    ? [{ name: SECURE_LISTENER, port: ports.secure.port, proxyPort: ports.secure.port }]
    : [];
  const proxied = (format: (listener: ProxiedListener) => string): string =>
    [...ports.proxied, ...secureListener].map((listener) => `,${format(listener)}`).join('');
  const protocolOf = (listener: ProxiedListener): string =>
    listener.name === SECURE_LISTENER && ports.secure ? ports.secure.protocol : 'PLAINTEXT';
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    // A static voter set works on 3.9 and 4.x alike and needs no extra format flag.
    'controller.quorum.voters': `1@127.0.0.1:${ports.controller}`,
    listeners: `PLAINTEXT://127.0.0.1:${ports.client},CONTROLLER://127.0.0.1:${ports.controller}${proxied(
      (l) => `${l.name}://127.0.0.1:${l.port}`,
    )}`,
    // The broker answers metadata with the endpoints of the listener a request came in on, so a
    // client that bootstrapped through a proxy is sent back to that proxy for every connection.
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${ports.client}${proxied(
      (l) => `${l.name}://127.0.0.1:${l.proxyPort}`,
    )}`,
    'listener.security.protocol.map': `PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${proxied(
      (l) => `${l.name}:${protocolOf(l)}`,
    )}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': join(dataDir, 'log'),
    'num.partitions': '1',
    'default.replication.factor': '1',
    'min.insync.replicas': '1',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '3',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '3',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    // Test groups should not wait 3 s for members that will never come.
    'group.initial.rebalance.delay.ms': '0',
    // Tests create their topics on purpose; an implicit create hides a wrong topic name.
    'auto.create.topics.enable': 'false',
    // After a SIGKILL the restarted broker must wait for its old registration's session to expire
    // before it may register again; Kafka's 9 s default makes every crash drill 15 s slower.
    'broker.session.timeout.ms': '3000',
    'broker.heartbeat.interval.ms': '500',
    'num.network.threads': '2',
    'num.io.threads': '2',
    'log.segment.bytes': String(64 * 1024 * 1024),
    'log.cleaner.dedupe.buffer.size': String(8 * 1024 * 1024),
    ...ports.secure?.props,
    ...overrides,
  };
  return `${Object.entries(props)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

/** Retries a cheap admin call until it succeeds: an open port alone does not prove the broker serves. */
async function waitUntilServing(
  bootstrap: string,
  jvm: JvmProcess,
  deadline: number,
  alias: string,
  secure: Pick<KafkaConfig, 'ssl' | 'sasl'> = {},
): Promise<void> {
  const kafka = new Kafka({
    ...secure,
    clientId: `testkit-ready-${alias}`,
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  });
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (!jvm.isRunning()) {
      throw new TestkitError(
        'TESTKIT_PROCESS_EXITED',
        `broker for ${alias} exited during start; log tail:\n${jvm.logTail(60)}`,
      );
    }
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0 && cluster.controller !== null) return;
    } catch (error) {
      lastError = error;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((resolveSleep) => setTimeout(resolveSleep, 250));
  }
  throw new TestkitError(
    'TESTKIT_START_TIMEOUT',
    `broker for ${alias} did not serve requests in time (last error: ${String(lastError)}); log tail:\n${jvm.logTail(60)}`,
  );
}

function portInUse(jvm: JvmProcess): boolean {
  return /Address already in use|BindException/.test(jvm.logTail(200));
}

/**
 * Formats and starts a one-node KRaft cluster on free loopback ports and resolves once a client
 * call succeeds. The jars are fetched from Maven Central on first use.
 *
 * @example
 * ```ts
 * const cluster = await startCluster({ alias: 'faults', proxies: 1 });
 * const cutOff = new Kafka({ brokers: [cluster.proxiedBootstrapServers!], requestTimeout: 1000 });
 * const direct = new Kafka({ brokers: [...cluster.brokers] });
 * cluster.proxy!.blackhole(); // cutOff's requests now time out; direct's still work
 * cluster.proxy!.heal();
 * await cluster.stop();
 * ```
 */
export async function startCluster(options: StartClusterOptions): Promise<KafkaCluster> {
  assertClusterAlias(options.alias);
  const proxyCount = options.proxies ?? 0;
  if (!Number.isInteger(proxyCount) || proxyCount < 0 || proxyCount > MAX_PROXIES) {
    throw new TestkitError(
      'TESTKIT_BAD_ARGUMENT',
      `proxies must be an integer from 0 to ${MAX_PROXIES}, got ${String(options.proxies)}`,
    );
  }
  if (options.security && proxyCount > 0) {
    throw new TestkitError('TESTKIT_BAD_ARGUMENT', 'security and proxies cannot be combined');
  }
  const runtime = await ensureKafkaRuntime(options.version ? { version: options.version } : {});
  let baseDir = options.baseDir;
  if (!baseDir) {
    sweepStaleRunDirs(RUN_DIR_PREFIX);
    baseDir = mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX));
    claimRunDir(baseDir);
  }
  const dataDir = join(baseDir, options.alias);
  const timeoutMs = options.startTimeoutMs ?? 90_000;
  const clusterId = newClusterId();
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const tls = options.security ? await generateTlsMaterial(join(dataDir, 'tls')) : undefined;

  for (let attempt = 1; ; attempt++) {
    // The certificates were made before the first attempt; a retry keeps them.
    for (const entry of readdirSync(dataDir, { withFileTypes: true }).filter((e) => e.name !== 'tls'))
      rmSync(join(dataDir, entry.name), { recursive: true, force: true });
    const secureCount = tls ? 1 : 0;
    const [client, controller, ...listenerPorts] = (await freePorts(2 + proxyCount + secureCount)) as [
      number,
      number,
      ...number[],
    ];
    const securePort = tls ? listenerPorts.pop() : undefined;
    // The proxies bind before the broker starts because their ports go into advertised.listeners.
    const proxies: FaultProxy[] = [];
    try {
      for (const port of listenerPorts) proxies.push(await startFaultProxy({ target: { port } }));
      const proxied = listenerPorts.map(
        (port, i): ProxiedListener => ({ name: `PROXIED_${i}`, port, proxyPort: proxies[i]!.port }),
      );
      const propsFile = join(dataDir, 'server.properties');
      writeFileSync(
        propsFile,
        serverProperties(
          {
            client,
            controller,
            proxied,
            ...(tls && options.security && securePort !== undefined
              ? {
                  secure: {
                    port: securePort,
                    protocol: options.security,
                    props: secureBrokerProperties(options.security, tls),
                  },
                }
              : {}),
          },
          dataDir,
          options.brokerProperties ?? {},
        ),
      );
      await runJvmTool({
        runtime,
        mainClass: STORAGE_TOOL,
        args: ['format', '-t', clusterId, '-c', propsFile, '--ignore-formatted'],
        logFile: join(dataDir, 'format.log'),
        what: `formatting storage for ${options.alias}`,
      });
      return await launch({
        runtime,
        options,
        dataDir,
        propsFile,
        clusterId,
        bootstrap: `127.0.0.1:${client}`,
        proxies,
        timeoutMs,
        baseDir,
        ...(tls && options.security && securePort !== undefined
          ? { secure: { port: securePort, protocol: options.security, tls } }
          : {}),
      });
    } catch (error) {
      // A retry picks new broker ports, and the advertised proxy ports are rewritten with them.
      await Promise.all(proxies.map((proxy) => proxy.close()));
      // A port picked as free can be taken before the JVM binds it; only that case is worth a retry.
      if (attempt < 3 && error instanceof PortTakenError) continue;
      throw error instanceof PortTakenError ? error.original : error;
    }
  }
}

class PortTakenError extends Error {
  constructor(readonly original: unknown) {
    super('port taken');
  }
}

async function launch(ctx: {
  runtime: KafkaRuntime;
  options: StartClusterOptions;
  dataDir: string;
  propsFile: string;
  clusterId: string;
  bootstrap: string;
  proxies: readonly FaultProxy[];
  timeoutMs: number;
  baseDir: string;
  secure?: { port: number; protocol: ClusterSecurityProtocol; tls: TlsMaterial };
}): Promise<KafkaCluster> {
  const logFile = join(ctx.dataDir, 'broker.log');
  const startJvmNow = (): JvmProcess =>
    startJvm({
      runtime: ctx.runtime,
      mainClass: BROKER_MAIN,
      args: [ctx.propsFile],
      logFile,
      heap: ctx.options.heap ?? '512m',
    });

  let jvm = startJvmNow();
  let startupMs = 0;
  const startedAt = Date.now();
  const scram = ctx.secure?.protocol === 'SASL_SSL' ? newScramUser() : undefined;
  const security = ctx.secure ? clusterSecurity(ctx.secure.protocol, ctx.secure.tls, scram) : undefined;
  const clientBootstrap = ctx.secure ? `127.0.0.1:${ctx.secure.port}` : ctx.bootstrap;
  // A secure cluster is ready once a client gets through the secure listener with its credentials;
  // that also waits out the SCRAM credential reaching the broker's cache.
  const waitSecure = async (deadline: number): Promise<void> => {
    if (!security) return;
    await waitUntilServing(clientBootstrap, jvm, deadline, ctx.options.alias, {
      ssl: security.kafkajsSsl,
      ...(security.kafkajsSasl ? { sasl: security.kafkajsSasl } : {}),
    });
  };
  try {
    await waitUntilServing(ctx.bootstrap, jvm, startedAt + ctx.timeoutMs, ctx.options.alias);
    if (scram) {
      await createScramUser({
        runtime: ctx.runtime,
        internalBootstrap: ctx.bootstrap,
        user: scram,
        dir: ctx.dataDir,
      });
    }
    await waitSecure(startedAt + ctx.timeoutMs);
  } catch (error) {
    await jvm.kill();
    if (portInUse(jvm)) throw new PortTakenError(error);
    throw error;
  }
  startupMs = Date.now() - startedAt;
  let stopped = false;

  const cluster: KafkaCluster = {
    alias: ctx.options.alias,
    version: ctx.runtime.version,
    clusterId: ctx.clusterId,
    bootstrapServers: clientBootstrap,
    brokers: [clientBootstrap],
    security,
    proxies: Object.freeze([...ctx.proxies]),
    proxy: ctx.proxies[0],
    proxiedBootstrapServers: ctx.proxies[0]?.address,
    dataDir: ctx.dataDir,
    logFile,
    get startupMs() {
      return startupMs;
    },
    get pid() {
      return jvm.pid;
    },
    isRunning: () => jvm.isRunning(),
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await jvm.stop();
      } finally {
        await Promise.all(ctx.proxies.map((proxy) => proxy.close()));
      }
      if (!process.env.MIRRORKIT_KEEP_LOGS) rmSync(ctx.dataDir, { recursive: true, force: true });
      if (!ctx.options.baseDir) rmSync(ctx.baseDir, { recursive: true, force: true });
    },
    async kill() {
      await jvm.kill();
    },
    async restart() {
      if (stopped)
        throw new TestkitError('TESTKIT_BAD_ARGUMENT', `cluster ${ctx.options.alias} was stopped for good`);
      await jvm.stop();
      jvm = startJvmNow();
      const restartedAt = Date.now();
      await waitUntilServing(ctx.bootstrap, jvm, restartedAt + ctx.timeoutMs, ctx.options.alias);
      await waitSecure(restartedAt + ctx.timeoutMs);
      startupMs = Date.now() - restartedAt;
    },
    logTail: (lines?: number) => jvm.logTail(lines),
  };
  return cluster;
}

/** Starts several clusters in parallel; if one fails, the others are stopped before rejecting. */
export async function startClusters(
  aliases: readonly string[],
  options: Omit<StartClusterOptions, 'alias'> = {},
): Promise<KafkaCluster[]> {
  // Fetch jars once up front so parallel starts do not race to fill the cache.
  await ensureKafkaRuntime(options.version ? { version: options.version } : {});
  const results = await Promise.allSettled(aliases.map((alias) => startCluster({ ...options, alias })));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    await Promise.all(
      results.map((result) => (result.status === 'fulfilled' ? result.value.stop() : Promise.resolve())),
    );
    throw failed.reason;
  }
  return results.map((result) => (result as PromiseFulfilledResult<KafkaCluster>).value);
}
