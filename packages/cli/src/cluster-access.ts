import { MirrorKitError } from '@mirrorkit/core';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import type { CliConfig } from './cli-config.js';
import { MirrorKitCliError } from './cli-error.js';

/** One reachability probe of a cluster. */
export interface ProbeResult {
  readonly alias: string;
  readonly reachable: boolean;
  /** Brokers the cluster reported (0 when unreachable). */
  readonly brokers: number;
  readonly controller: number | null;
  /** How long the probe took. */
  readonly latencyMs: number;
  /** Why the probe failed, one line; null when reachable. */
  readonly error: string | null;
}

/** First line of an error's message: kafkajs messages can carry whole stack-like blobs. */
export function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';
}

/** Races `promise` against a timer; the timer's rejection names `what`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * kafkajs clients for the configured clusters. Calls are bounded by `timeoutMs` and retried only
 * briefly: a runbook command must say "unreachable" in seconds, not after kafkajs's minute of
 * retries.
 */
export class ClusterAccess {
  readonly #config: CliConfig;
  readonly #timeoutMs: number;
  readonly #clients = new Map<string, Kafka>();

  constructor(config: CliConfig, timeoutMs: number) {
    this.#config = config;
    this.#timeoutMs = timeoutMs;
  }

  get config(): CliConfig {
    return this.#config;
  }

  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** The kafkajs client of `alias`. */
  kafka(alias: string): Kafka {
    let client = this.#clients.get(alias);
    if (!client) {
      const connection = this.#config.clusters[alias];
      if (!connection) throw new MirrorKitCliError('CLI_UNKNOWN_ALIAS', `unknown cluster alias "${alias}"`);
      client = new Kafka({
        ...connection,
        clientId: connection.clientId ?? `mirrorkit-cli-${alias}`,
        connectionTimeout: Math.min(this.#timeoutMs, connection.connectionTimeout ?? 3000),
        requestTimeout: this.#timeoutMs,
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
        logLevel: logLevel.NOTHING,
      });
      this.#clients.set(alias, client);
    }
    return client;
  }

  /** Probes `alias` once: connect and DescribeCluster within the timeout. Never throws. */
  async probe(alias: string): Promise<ProbeResult> {
    const started = Date.now();
    const admin = new Kafka({
      ...this.#config.clusters[alias],
      brokers: [...((this.#config.clusters[alias]?.brokers as string[] | undefined) ?? [])],
      clientId: `mirrorkit-cli-probe-${alias}`,
      connectionTimeout: Math.min(this.#timeoutMs, 3000),
      requestTimeout: this.#timeoutMs,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    }).admin({ retry: { retries: 0 } });
    try {
      const cluster = await withTimeout(
        (async () => {
          await admin.connect();
          return admin.describeCluster();
        })(),
        this.#timeoutMs,
        `probe of ${alias}`,
      );
      return {
        alias,
        reachable: true,
        brokers: cluster.brokers.length,
        controller: cluster.controller,
        latencyMs: Date.now() - started,
        error: null,
      };
    } catch (error) {
      return {
        alias,
        reachable: false,
        brokers: 0,
        controller: null,
        latencyMs: Date.now() - started,
        error: oneLine(error),
      };
    } finally {
      void admin.disconnect().catch(() => undefined);
    }
  }

  /** Probes `alias` and throws CLI_UNREACHABLE naming it and why, unless it answers. */
  async requireReachable(alias: string): Promise<ProbeResult> {
    const probe = await this.probe(alias);
    if (!probe.reachable) {
      throw new MirrorKitCliError('CLI_UNREACHABLE', `cluster ${alias} is unreachable: ${probe.error}`);
    }
    return probe;
  }

  /**
   * Runs `fn`, a call to `alias`; transport failures become CLI_UNREACHABLE naming the cluster and
   * what was being done. MirrorKit's own errors already say what was wrong and pass through.
   */
  async call<T>(alias: string, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof MirrorKitError) throw error;
      throw new MirrorKitCliError('CLI_UNREACHABLE', `${what} on ${alias} failed: ${oneLine(error)}`, {
        cause: error,
      });
    }
  }

  /** {@link call} with a connected admin client of `alias`, closed afterwards. */
  async withAdmin<T>(alias: string, what: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.kafka(alias).admin({
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    try {
      return await this.call(alias, what, async () => {
        await withTimeout(admin.connect(), this.#timeoutMs, `connecting to ${alias}`);
        return fn(admin);
      });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
