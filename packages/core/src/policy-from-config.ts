import { DefaultReplicationPolicy } from './default-replication-policy.js';
import { IdentityReplicationPolicy } from './identity-replication-policy.js';
import { MirrorKitPolicyError } from './policy-error.js';
import type { ReplicationPolicy } from './replication-policy.js';

const DEFAULT_CLASSES = new Set([
  'org.apache.kafka.connect.mirror.DefaultReplicationPolicy',
  'DefaultReplicationPolicy',
]);
const IDENTITY_CLASSES = new Set([
  'org.apache.kafka.connect.mirror.IdentityReplicationPolicy',
  'IdentityReplicationPolicy',
]);

function parseBoolean(key: string, raw: string): boolean {
  // Kafka's ConfigDef accepts true/false in any case, after trimming.
  const value = raw.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new MirrorKitPolicyError('POLICY_INVALID_CONFIG', `${key} must be true or false, got "${raw}"`);
}

/**
 * Builds the policy an mm2.properties file describes, from MM2's own keys:
 * `replication.policy.class` (Default or Identity, fully qualified or short),
 * `replication.policy.separator`, `replication.policy.internal.topic.separator.enabled` and
 * `source.cluster.alias` (Identity only). Missing keys take MM2's defaults.
 */
export function policyFromConfig(
  props: Readonly<Record<string, string>> | ReadonlyMap<string, string>,
): ReplicationPolicy {
  const get = (key: string): string | undefined =>
    props instanceof Map ? props.get(key) : (props as Record<string, string>)[key];
  const className = (
    get('replication.policy.class') ?? 'org.apache.kafka.connect.mirror.DefaultReplicationPolicy'
  ).trim();
  const separator = get('replication.policy.separator');
  const internalRaw = get('replication.policy.internal.topic.separator.enabled');
  // MM2 reads the internal-separator switch only together with a custom separator; without one,
  // internal topics use '.' either way.
  const options = {
    ...(separator !== undefined ? { separator } : {}),
    ...(internalRaw !== undefined
      ? {
          internalTopicSeparatorEnabled: parseBoolean(
            'replication.policy.internal.topic.separator.enabled',
            internalRaw,
          ),
        }
      : {}),
  };
  if (DEFAULT_CLASSES.has(className)) return new DefaultReplicationPolicy(options);
  if (IDENTITY_CLASSES.has(className)) {
    const alias = get('source.cluster.alias');
    return new IdentityReplicationPolicy({
      ...options,
      ...(alias !== undefined ? { sourceClusterAlias: alias.trim() } : {}),
    });
  }
  throw new MirrorKitPolicyError(
    'POLICY_UNKNOWN_CLASS',
    `replication.policy.class "${className}" is not supported (use DefaultReplicationPolicy or IdentityReplicationPolicy)`,
  );
}
