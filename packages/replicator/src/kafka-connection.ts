import { readFileSync } from 'node:fs';
import type { ClusterConfig, MirrorMakerConfig, UnsupportedSetting } from '@mirrorkit/core';
import type { KafkaConfig, SASLOptions } from 'kafkajs';

export type { UnsupportedSetting };

const JAAS_PAIR = /(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"/g;

function jaasCredentials(jaas: string): { username?: string; password?: string } {
  const out: Record<string, string> = {};
  for (const match of jaas.matchAll(JAAS_PAIR)) out[match[1] as string] = match[2] as string;
  return out;
}

// Client settings a Node client has no use for, or which kafkajs sets its own way.
const IGNORED = [
  /^client\.id$/,
  /^(request|session|connections\.max\.idle)\..*/,
  /^(metadata|reconnect|retry)\./,
];

/**
 * kafkajs connection settings for one cluster of an mm2.properties file: bootstrap servers,
 * `security.protocol`, SASL PLAIN/SCRAM credentials from `sasl.jaas.config`, and TLS from PEM
 * (`ssl.truststore.type=PEM` with `ssl.truststore.location` or `ssl.truststore.certificates`).
 * Settings it cannot map (JKS stores, Kerberos, OAuth) are returned in `unsupported`, never dropped
 * silently. Top-level `security.*`, `sasl.*` and `ssl.*` apply to every cluster unless overridden.
 */
export function kafkaConnection(
  cluster: ClusterConfig,
  mm2: MirrorMakerConfig,
): { config: KafkaConfig; unsupported: UnsupportedSetting[] } {
  const unsupported: UnsupportedSetting[] = [];
  const settings: Record<string, string> = {};
  for (const [key, value] of mm2.properties) if (/^(security|sasl|ssl)\./.test(key)) settings[key] = value;
  Object.assign(settings, cluster.client);
  const lineOf = (key: string): number | undefined =>
    mm2.lines.get(`${cluster.alias}.${key}`) ?? mm2.lines.get(key);
  const report = (key: string, reason: string): void => {
    unsupported.push({
      key: mm2.lines.has(`${cluster.alias}.${key}`) ? `${cluster.alias}.${key}` : key,
      line: lineOf(key),
      reason,
    });
  };

  const protocol = (settings['security.protocol'] ?? 'PLAINTEXT').toUpperCase();
  const config: KafkaConfig = {
    brokers: [...cluster.bootstrapServers],
    clientId: `mirrorkit-replicator-${cluster.alias}`,
  };
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol))
    report('security.protocol', `unknown security.protocol ${protocol}`);
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const type = (settings['ssl.truststore.type'] ?? 'JKS').toUpperCase();
    const inline = settings['ssl.truststore.certificates'];
    const location = settings['ssl.truststore.location'];
    if (inline) config.ssl = { ca: [inline] };
    else if (location && type === 'PEM') config.ssl = { ca: [readFileSync(location, 'utf8')] };
    else if (location) {
      report(
        'ssl.truststore.location',
        `${type} trust stores cannot be read by Node.js; use ssl.truststore.type=PEM`,
      );
      config.ssl = true;
    } else config.ssl = true;
    if (settings['ssl.keystore.location'] && (settings['ssl.keystore.type'] ?? 'JKS').toUpperCase() !== 'PEM')
      report('ssl.keystore.location', 'only PEM key stores are supported (ssl.keystore.type=PEM)');
  }
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const mechanism = (settings['sasl.mechanism'] ?? 'GSSAPI').toUpperCase();
    const { username, password } = jaasCredentials(settings['sasl.jaas.config'] ?? '');
    if (mechanism === 'PLAIN' || mechanism === 'SCRAM-SHA-256' || mechanism === 'SCRAM-SHA-512') {
      if (username === undefined || password === undefined)
        report('sasl.jaas.config', 'needs username="…" and password="…" for PLAIN/SCRAM');
      else {
        const sasl: SASLOptions =
          mechanism === 'PLAIN'
            ? { mechanism: 'plain', username, password }
            : mechanism === 'SCRAM-SHA-256'
              ? { mechanism: 'scram-sha-256', username, password }
              : { mechanism: 'scram-sha-512', username, password };
        config.sasl = sasl;
      }
    } else
      report(
        'sasl.mechanism',
        `SASL mechanism ${mechanism} is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 are)`,
      );
  }
  for (const key of Object.keys(cluster.client)) {
    if (
      /^(security\.protocol|sasl\.(mechanism|jaas\.config)|ssl\.(truststore|keystore)\.(type|location|certificates))$/.test(
        key,
      )
    )
      continue;
    if (IGNORED.some((pattern) => pattern.test(key))) continue;
    report(key, 'not used by the replicator');
  }
  return { config, unsupported };
}
