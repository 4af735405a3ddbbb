import { DefaultReplicationPolicy, policyFromConfig, type ReplicationPolicy } from '@mirrorkit/core';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { MirrorKitClientError } from './client-error.js';

/**
 * How to reach one cluster: kafkajs's own connection settings (brokers, ssl, sasl, timeouts).
 * Every cluster has its own, since regions rarely share certificates or credentials.
 */
export type ClusterConnection = Omit<KafkaConfig, 'logLevel' | 'logCreator' | 'clientId'> & {
  clientId?: string;
};

/** The configuration shared by every MirrorKit consumer and producer. */
export interface MirrorKitConfig {
  /** Clusters by alias, the same aliases MirrorMaker 2 uses (`us-east`, `us-west`, …). */
  clusters: Readonly<Record<string, ClusterConnection>>;
  /** The alias the application uses now. */
  activeCluster: string;
  /**
   * The replication policy MM2 uses between these clusters: an instance, or MM2 properties to
   * build it from (`replication.policy.class`, `replication.policy.separator`, …). Default:
   * MM2's DefaultReplicationPolicy with separator `.`.
   */
  policy?: ReplicationPolicy | { readonly mm2Properties: Readonly<Record<string, string>> };
  /** Prefix of every kafkajs client id. Default `mirrorkit`. */
  clientId?: string;
  /** kafkajs log level. Default `WARN`. */
  logLevel?: logLevel;
}

/** A validated configuration: every alias known, a policy built, kafkajs clients created lazily. */
export interface ResolvedConfig {
  readonly aliases: readonly string[];
  readonly activeCluster: string;
  readonly policy: ReplicationPolicy;
  readonly clientId: string;
  /** The kafkajs client of one cluster (one per alias, created on first use). */
  kafka(alias: string): Kafka;
  /** Throws CLIENT_UNKNOWN_ALIAS naming the known aliases unless `alias` is configured. */
  requireAlias(alias: string, field: string): void;
}

const ALIAS_PATTERN = /^[A-Za-z0-9._-]+$/;

function invalid(field: string, message: string): MirrorKitClientError {
  return new MirrorKitClientError('CLIENT_CONFIG_INVALID', `${field}: ${message}`, { field });
}

function buildPolicy(policy: MirrorKitConfig['policy']): ReplicationPolicy {
  if (policy === undefined) return new DefaultReplicationPolicy();
  if ('mm2Properties' in policy) {
    try {
      return policyFromConfig(policy.mm2Properties);
    } catch (error) {
      throw new MirrorKitClientError(
        'CLIENT_CONFIG_INVALID',
        `policy: cannot build a replication policy: ${(error as Error).message}`,
        { cause: error, field: 'policy' },
      );
    }
  }
  return policy;
}

/**
 * Validates a {@link MirrorKitConfig}. Every problem is a {@link MirrorKitClientError} whose
 * `field` names the offending setting; secrets in ssl/sasl are never part of a message.
 */
export function resolveConfig(config: MirrorKitConfig): ResolvedConfig {
  if (typeof config !== 'object' || config === null) throw invalid('config', 'must be an object');
  if (typeof config.clusters !== 'object' || config.clusters === null) {
    throw invalid('clusters', 'must map cluster aliases to connection settings');
  }
  const aliases = Object.keys(config.clusters);
  if (aliases.length === 0) throw invalid('clusters', 'must name at least one cluster');
  for (const alias of aliases) {
    if (!ALIAS_PATTERN.test(alias))
      throw invalid(`clusters.${alias}`, 'an alias may only use [A-Za-z0-9._-]');
    const connection = config.clusters[alias];
    const brokers = connection?.brokers;
    if (typeof brokers !== 'function') {
      if (!Array.isArray(brokers) || brokers.length === 0) {
        throw invalid(`clusters.${alias}.brokers`, 'must list at least one host:port');
      }
      for (const broker of brokers) {
        if (typeof broker !== 'string' || !/^[^\s:]+:\d{1,5}$/.test(broker)) {
          throw invalid(`clusters.${alias}.brokers`, `"${String(broker)}" is not host:port`);
        }
      }
    }
  }
  const requireAlias = (alias: string, field: string): void => {
    if (!aliases.includes(alias)) {
      throw new MirrorKitClientError(
        'CLIENT_UNKNOWN_ALIAS',
        `${field}: unknown cluster alias "${alias}" (configured: ${aliases.join(', ')})`,
        { field },
      );
    }
  };
  if (typeof config.activeCluster !== 'string' || config.activeCluster.length === 0) {
    throw invalid('activeCluster', 'must name one of the configured clusters');
  }
  requireAlias(config.activeCluster, 'activeCluster');
  const policy = buildPolicy(config.policy);
  const clientId = config.clientId ?? 'mirrorkit';
  const level = config.logLevel ?? logLevel.WARN;
  const clients = new Map<string, Kafka>();
  return {
    aliases,
    activeCluster: config.activeCluster,
    policy,
    clientId,
    requireAlias,
    kafka(alias: string): Kafka {
      requireAlias(alias, 'cluster');
      let client = clients.get(alias);
      if (!client) {
        const connection = config.clusters[alias] as ClusterConnection;
        client = new Kafka({
          ...connection,
          clientId: connection.clientId ?? `${clientId}-${alias}`,
          logLevel: level,
        });
        clients.set(alias, client);
      }
      return client;
    },
  };
}
