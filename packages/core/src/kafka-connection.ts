import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { type ConfigErrorCode, MirrorKitConfigError } from './config-error.js';
import { JaasSyntaxError, parseJaasConfig } from './jaas-config.js';
import type { ClusterConfig, MirrorMakerConfig } from './mm2-properties.js';
import type { UnsupportedSetting } from './mm2-setting-support.js';
import { type ReadStoreFile, TlsSettingProblem, tlsMaterial } from './tls-material.js';

/** Options of {@link kafkaConnection}. */
export interface KafkaConnectionOptions {
  /** kafkajs `clientId`; defaults to `mirrorkit-<alias>`. */
  readonly clientId?: string;
  /** Reads key and trust store files; defaults to `fs.readFileSync`. Injected by tests. */
  readonly readFile?: ReadStoreFile;
}

/** What {@link kafkaConnection} makes of one cluster's settings. */
export interface KafkaConnection {
  readonly config: KafkaConfig;
  /** Tuning settings with no kafkajs counterpart, ignored; never a security setting. */
  readonly unsupported: UnsupportedSetting[];
}

const PROTOCOLS = new Set(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']);

// The login module Kafka's client expects for each mechanism kafkajs can do.
const LOGIN_MODULES: Readonly<Record<string, string>> = {
  PLAIN: 'org.apache.kafka.common.security.plain.PlainLoginModule',
  'SCRAM-SHA-256': 'org.apache.kafka.common.security.scram.ScramLoginModule',
  'SCRAM-SHA-512': 'org.apache.kafka.common.security.scram.ScramLoginModule',
};

// Security keys the mapping reads; anything else under ssl./sasl. it cannot honour is refused.
const MAPPED = new Set([
  'security.protocol',
  'sasl.mechanism',
  'sasl.jaas.config',
  'ssl.keystore.type',
  'ssl.keystore.location',
  'ssl.keystore.password',
  'ssl.keystore.key',
  'ssl.keystore.certificate.chain',
  'ssl.key.password',
  'ssl.truststore.type',
  'ssl.truststore.location',
  'ssl.truststore.password',
  'ssl.truststore.certificates',
  'ssl.endpoint.identification.algorithm',
]);

// TLS tuning Node negotiates itself; ignoring it never weakens the connection below Node's defaults.
const TLS_TUNING =
  /^ssl\.(protocol|enabled\.protocols|cipher\.suites|keymanager\.algorithm|trustmanager\.algorithm|secure\.random\.implementation|provider|engine\.factory\.class)$/;
// SASL tuning that only matters to Java's login machinery.
const SASL_TUNING = /^sasl\.(login\.|kerberos\.|client\.callback\.handler\.class$)/;

// Client settings a Node client has no use for, or which kafkajs sets its own way.
const IGNORED = [
  /^client\.id$/,
  /^(request|session|connections\.max\.idle)\..*/,
  /^(metadata|reconnect|retry)\./,
];

/**
 * kafkajs connection settings for one cluster of an mm2.properties file, failing closed: bootstrap
 * servers; `security.protocol`; SASL PLAIN/SCRAM-SHA-256/SCRAM-SHA-512 with credentials from
 * `sasl.jaas.config` (unescaped as Java's JAAS parser does, the login module checked against the
 * mechanism); TLS from PEM or PKCS12 key stores (mutual TLS) and PEM trust stores, with Kafka's key
 * names and defaults. Top-level `security.*`, `sasl.*` and `ssl.*` apply to every cluster unless
 * `<alias>.` overrides them. What cannot be honoured securely (unknown protocol or mechanism,
 * missing or mismatched credentials, JKS, an unreadable store, an encrypted key without password)
 * is a {@link MirrorKitConfigError} naming the alias, key and line, never the value. Tuning
 * settings without a kafkajs counterpart are returned in `unsupported`.
 */
export function kafkaConnection(
  cluster: ClusterConfig,
  mm2: MirrorMakerConfig,
  options: KafkaConnectionOptions = {},
): KafkaConnection {
  const unsupported: UnsupportedSetting[] = [];
  const settings = new Map<string, string>();
  for (const [key, value] of mm2.properties) if (/^(security|sasl|ssl)\./.test(key)) settings.set(key, value);
  for (const [key, value] of Object.entries(cluster.client)) settings.set(key, value);
  const fullKey = (key: string): string =>
    mm2.lines.has(`${cluster.alias}.${key}`) || !mm2.lines.has(key) ? `${cluster.alias}.${key}` : key;
  const lineOf = (key: string): number | undefined =>
    mm2.lines.get(`${cluster.alias}.${key}`) ?? mm2.lines.get(key);
  const refuse = (key: string, code: ConfigErrorCode, reason: string): never => {
    const line = lineOf(key);
    throw new MirrorKitConfigError(
      code,
      `cluster ${cluster.alias}: ${fullKey(key)}: ${reason}`,
      line === undefined ? { key: fullKey(key) } : { key: fullKey(key), line },
    );
  };

  const protocol = (settings.get('security.protocol') ?? 'PLAINTEXT').trim().toUpperCase();
  if (!PROTOCOLS.has(protocol))
    refuse(
      'security.protocol',
      'CONFIG_UNSUPPORTED_SECURITY',
      'unknown security.protocol (PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL)',
    );
  const config: KafkaConfig = {
    brokers: [...cluster.bootstrapServers],
    clientId: options.clientId ?? `mirrorkit-${cluster.alias}`,
  };
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    try {
      const tls = tlsMaterial(settings, options.readFile ?? ((path) => readFileSync(path)));
      config.ssl = Object.keys(tls).length === 0 ? true : tls;
    } catch (error) {
      if (error instanceof TlsSettingProblem) refuse(error.key, error.code, error.reason);
      throw error;
    }
  }
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') config.sasl = saslOptions(settings, refuse);

  for (const key of settings.keys()) {
    if (MAPPED.has(key) || IGNORED.some((pattern) => pattern.test(key))) continue;
    if (TLS_TUNING.test(key) || SASL_TUNING.test(key)) {
      unsupported.push({
        key: fullKey(key),
        line: lineOf(key),
        reason: 'tuning kafkajs does not offer; ignored',
      });
      continue;
    }
    // Kafka reads ssl.* and sasl.* only under a protocol that uses them; so does this mapping.
    const inUse =
      key.startsWith('security.') ||
      (key.startsWith('ssl.') && protocol.endsWith('SSL')) ||
      (key.startsWith('sasl.') && protocol.startsWith('SASL_'));
    if (inUse) refuse(key, 'CONFIG_UNSUPPORTED_SECURITY', 'a security setting MirrorKit cannot honour');
    unsupported.push({ key: fullKey(key), line: lineOf(key), reason: 'not used by MirrorKit' });
  }
  return { config, unsupported };
}

function saslOptions(
  settings: ReadonlyMap<string, string>,
  refuse: (key: string, code: ConfigErrorCode, reason: string) => never,
): SASLOptions {
  // Kafka's default sasl.mechanism is GSSAPI, which kafkajs cannot do.
  const mechanism = (settings.get('sasl.mechanism') ?? 'GSSAPI').trim().toUpperCase();
  const expectedModule = LOGIN_MODULES[mechanism];
  if (expectedModule === undefined)
    return refuse(
      'sasl.mechanism',
      'CONFIG_UNSUPPORTED_SECURITY',
      `${mechanism === 'GSSAPI' || mechanism === 'OAUTHBEARER' ? `SASL mechanism ${mechanism}` : 'this SASL mechanism'} is not supported (PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 are)`,
    );
  const jaas = settings.get('sasl.jaas.config');
  if (jaas === undefined || jaas.trim() === '')
    return refuse(
      'sasl.jaas.config',
      'CONFIG_MISSING',
      `SASL ${mechanism} needs sasl.jaas.config with username and password`,
    );
  let modules: ReturnType<typeof parseJaasConfig>;
  try {
    modules = parseJaasConfig(jaas);
  } catch (error) {
    if (error instanceof JaasSyntaxError)
      return refuse(
        'sasl.jaas.config',
        'CONFIG_INVALID_VALUE',
        `not a valid JAAS configuration: ${error.message}`,
      );
    throw error;
  }
  if (modules.length !== 1)
    return refuse(
      'sasl.jaas.config',
      'CONFIG_INVALID_VALUE',
      `must hold exactly one login module, found ${modules.length}`,
    );
  const module = modules[0] as (typeof modules)[number];
  if (module.loginModule !== expectedModule)
    return refuse(
      'sasl.jaas.config',
      'CONFIG_INVALID_VALUE',
      `the login module does not match sasl.mechanism ${mechanism} (expected ${expectedModule})`,
    );
  const username = module.options.get('username');
  const password = module.options.get('password');
  if (username === undefined || password === undefined)
    return refuse(
      'sasl.jaas.config',
      'CONFIG_MISSING',
      `SASL ${mechanism} needs username and password options`,
    );
  if (mechanism === 'PLAIN') return { mechanism: 'plain', username, password };
  if (mechanism === 'SCRAM-SHA-256') return { mechanism: 'scram-sha-256', username, password };
  return { mechanism: 'scram-sha-512', username, password };
}
