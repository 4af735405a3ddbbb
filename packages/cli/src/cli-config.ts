import { readFileSync } from 'node:fs';
import {
  DefaultReplicationPolicy,
  type FlowConfig,
  kafkaConnection,
  MirrorKitError,
  type Mm2PropertyNote,
  parseMirrorMakerProperties,
  policyFromConfig,
  type ReplicationPolicy,
} from '@mirrorkit/core';
import type { KafkaConfig } from 'kafkajs';
import { MirrorKitCliError } from './cli-error.js';

/** A replication flow the CLI knows of (from mm2.properties, or every ordered pair of a JSON config). */
export interface CliFlow {
  readonly source: string;
  readonly target: string;
  /** The flow's own settings when the config is an mm2.properties file. */
  readonly mm2?: FlowConfig;
}

/** What the CLI connects to: clusters by alias, the replication policy, and the flows. */
export interface CliConfig {
  /** Where the config came from (file path), for messages. */
  readonly origin: string;
  readonly clusters: Readonly<Record<string, KafkaConfig>>;
  readonly policy: ReplicationPolicy;
  /** Enabled flows. A JSON config names none, so every ordered pair of clusters is a candidate. */
  readonly flows: readonly CliFlow[];
  /** True when flows were listed by the config (mm2.properties), false when assumed. */
  readonly flowsDeclared: boolean;
  /** The parser's notes on an mm2.properties (inline comments, values MM2 reads differently); none for JSON. */
  readonly notes?: readonly Mm2PropertyNote[];
}

const ALIAS_PATTERN = /^[A-Za-z0-9._-]+$/;
const HOST_PORT = /^[^\s:]+:\d{1,5}$/;

function configError(origin: string, message: string, cause?: unknown): MirrorKitCliError {
  return new MirrorKitCliError('CLI_CONFIG', `${origin}: ${message}`, cause === undefined ? {} : { cause });
}

/** ` at line L, column C` of a JSON.parse failure when V8 gives a position, else nothing. */
function jsonErrorPlace(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const position = /at position (\d+)/.exec(message);
  const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message);
  if (lineColumn) return ` at line ${lineColumn[1]}, column ${lineColumn[2]}`;
  if (position) {
    const before = text.slice(0, Number(position[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    return ` at line ${line}, column ${column}`;
  }
  if (/end of JSON input|Unterminated/i.test(message)) return ' (it ends too early)';
  return '';
}

/** Replaces `${env:NAME}` in every string of a JSON value, so secrets can stay out of the file. */
function substituteEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  path: string,
  origin: string,
): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{env:([^}]*)\}/g, (_match, name: string) => {
      const resolved = env[name];
      if (resolved === undefined)
        throw configError(origin, `${path} refers to environment variable ${name}, which is not set`);
      return resolved;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, `${path}[${i}]`, origin));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, path ? `${path}.${k}` : k, origin)]),
    );
  }
  return value;
}

function everyPair(aliases: readonly string[]): CliFlow[] {
  return aliases.flatMap((source) =>
    aliases.filter((target) => target !== source).map((target) => ({ source, target })),
  );
}

/**
 * Parses a MirrorKit JSON config: `{ "clusters": { alias: { "brokers": [...], "ssl"?, "sasl"? } },
 * "policy"?: { mm2 policy keys } }` — the client's `MirrorKitConfig` shape, `activeCluster`
 * optional. Strings may hold `${env:NAME}` placeholders.
 */
export function parseJsonConfig(
  text: string,
  origin: string,
  env: Readonly<Record<string, string | undefined>> = {},
): CliConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // V8's message quotes the source text, which may hold a password: give the place only, and no cause.
    throw configError(origin, `not valid JSON${jsonErrorPlace(text, error)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw configError(origin, 'must be a JSON object');
  const resolved = substituteEnv(raw, env, '', origin) as Record<string, unknown>;
  const clustersRaw = resolved.clusters;
  if (typeof clustersRaw !== 'object' || clustersRaw === null || Array.isArray(clustersRaw))
    throw configError(origin, 'clusters must map cluster aliases to connection settings');
  const clusters: Record<string, KafkaConfig> = {};
  for (const [alias, connection] of Object.entries(clustersRaw)) {
    if (!ALIAS_PATTERN.test(alias))
      throw configError(origin, `clusters.${alias}: an alias may only use [A-Za-z0-9._-]`);
    const brokers = (connection as { brokers?: unknown } | null)?.brokers;
    if (!Array.isArray(brokers) || brokers.length === 0)
      throw configError(origin, `clusters.${alias}.brokers must list at least one host:port`);
    for (const broker of brokers) {
      if (typeof broker !== 'string' || !HOST_PORT.test(broker))
        throw configError(origin, `clusters.${alias}.brokers: "${String(broker)}" is not host:port`);
    }
    clusters[alias] = { ...(connection as KafkaConfig), brokers: brokers as string[] };
  }
  if (Object.keys(clusters).length === 0)
    throw configError(origin, 'clusters must name at least one cluster');
  let policy: ReplicationPolicy = new DefaultReplicationPolicy();
  const policyRaw = resolved.policy;
  if (policyRaw !== undefined) {
    const props = (policyRaw as { mm2Properties?: unknown }).mm2Properties ?? policyRaw;
    if (typeof props !== 'object' || props === null)
      throw configError(origin, 'policy must be an object of MM2 policy keys');
    try {
      policy = policyFromConfig(props as Record<string, string>);
    } catch (error) {
      throw configError(origin, `policy: ${(error as Error).message}`, error);
    }
  }
  return { origin, clusters, policy, flows: everyPair(Object.keys(clusters)), flowsDeclared: false };
}

/** Parses an MM2 dedicated-mode mm2.properties: clusters, their security settings, policy and enabled flows. */
export function parseMirrorMakerConfig(
  text: string,
  origin: string,
  env: Readonly<Record<string, string | undefined>> = {},
): CliConfig {
  let mm2: ReturnType<typeof parseMirrorMakerProperties>;
  try {
    mm2 = parseMirrorMakerProperties(text, { env });
  } catch (error) {
    if (error instanceof MirrorKitError) throw configError(origin, error.message, error);
    throw error;
  }
  const clusters: Record<string, KafkaConfig> = {};
  for (const alias of mm2.clusters) {
    const cluster = mm2.clusterConfigs.get(alias);
    if (!cluster) continue;
    // Core refuses (with key and line) what it cannot honour securely, before any connection.
    let config: KafkaConfig;
    try {
      config = kafkaConnection(cluster, mm2, { clientId: `mirrorkit-cli-${alias}` }).config;
    } catch (error) {
      if (error instanceof MirrorKitError) throw configError(origin, error.message, error);
      throw error;
    }
    clusters[alias] = config;
  }
  const flows = mm2.flows.map((flow) => ({ source: flow.source, target: flow.target, mm2: flow }));
  const policy = mm2.flows[0]?.policy ?? policyFromConfig(mm2.properties);
  return { origin, clusters, policy, flows, flowsDeclared: true, notes: mm2.notes };
}

/**
 * Parses `--clusters us-east=h1:9092;h2:9092,us-west=h3:9092` into broker lists by alias.
 * Malformed entries are CLI_USAGE errors naming the entry.
 */
export function parseClustersFlag(text: string): Record<string, string[]> {
  const clusters: Record<string, string[]> = {};
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    const alias = eq > 0 ? entry.slice(0, eq).trim() : '';
    const brokers = entry
      .slice(eq + 1)
      .split(';')
      .map((b) => b.trim())
      .filter(Boolean);
    if (!ALIAS_PATTERN.test(alias) || brokers.length === 0 || !brokers.every((b) => HOST_PORT.test(b))) {
      throw new MirrorKitCliError('CLI_USAGE', `--clusters: "${entry}" is not alias=host:port[;host:port…]`);
    }
    clusters[alias] = brokers;
  }
  if (Object.keys(clusters).length === 0)
    throw new MirrorKitCliError('CLI_USAGE', '--clusters names no cluster');
  return clusters;
}

/**
 * Loads the config named by `--config` (or `$MIRRORKIT_CONFIG`): `.properties` files are read as
 * mm2.properties, anything else as MirrorKit JSON. `clusters` (from `--clusters`) replaces the
 * brokers of the aliases it names and adds the others (plaintext, default policy); with it, no
 * file is needed. A missing file or a bad setting is a `CLI_CONFIG` error naming the file and the
 * setting; secret values never appear in messages.
 */
export function loadCliConfig(
  path: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
  clusters?: Readonly<Record<string, string[]>>,
): CliConfig {
  const file = path ?? env.MIRRORKIT_CONFIG;
  if (!file) {
    if (clusters) {
      const json = JSON.stringify({
        clusters: Object.fromEntries(Object.entries(clusters).map(([a, brokers]) => [a, { brokers }])),
      });
      return parseJsonConfig(json, '--clusters', env);
    }
    throw new MirrorKitCliError(
      'CLI_CONFIG',
      'no config: pass --config <file> (MirrorKit JSON or mm2.properties), set MIRRORKIT_CONFIG, or name brokers with --clusters',
    );
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw configError(
      file,
      code === 'ENOENT' ? 'no such file' : `cannot read: ${(error as Error).message}`,
      error,
    );
  }
  const config = file.endsWith('.properties')
    ? parseMirrorMakerConfig(text, file, env)
    : parseJsonConfig(text, file, env);
  if (!clusters) return config;
  const merged: Record<string, KafkaConfig> = { ...config.clusters };
  for (const [alias, brokers] of Object.entries(clusters)) merged[alias] = { ...merged[alias], brokers };
  const aliases = Object.keys(merged);
  return {
    ...config,
    clusters: merged,
    flows: config.flowsDeclared ? config.flows : everyPair(aliases),
  };
}

/** Throws CLI_UNKNOWN_ALIAS naming the configured aliases unless `alias` is one of them. */
export function requireAlias(config: CliConfig, alias: string, flag: string): void {
  if (!(alias in config.clusters)) {
    throw new MirrorKitCliError(
      'CLI_UNKNOWN_ALIAS',
      `--${flag}: unknown cluster alias "${alias}" (configured in ${config.origin}: ${Object.keys(config.clusters).join(', ')})`,
    );
  }
}

/**
 * The `--from` and `--to` of a command that moves along a flow: both configured aliases, and not
 * the same one.
 */
export function requireFlowAliases(
  config: CliConfig,
  flags: Readonly<Record<string, unknown>>,
): { from: string; to: string } {
  const from = String(flags.from);
  const to = String(flags.to);
  requireAlias(config, from, 'from');
  requireAlias(config, to, 'to');
  if (from === to) throw new MirrorKitCliError('CLI_USAGE', `--from and --to are both ${from}`);
  return { from, to };
}
