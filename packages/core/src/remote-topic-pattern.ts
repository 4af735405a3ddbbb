import { DefaultReplicationPolicy } from './default-replication-policy.js';
import { IdentityReplicationPolicy } from './identity-replication-policy.js';
import { MirrorKitPolicyError } from './policy-error.js';
import type { ReplicationPolicy } from './replication-policy.js';

/** Options of {@link remoteTopicPattern}. */
export interface RemoteTopicPatternOptions {
  /** Match remote copies from these source aliases only (at every hop). Default: any alias. */
  sourceAliases?: readonly string[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * A RegExp matching `topic` and every remote copy of it under `policy`: `orders`,
 * `us-east.orders`, `us-west.us-east.orders`, … — and nothing else (`orders-archive`,
 * `us-east.orders.internal` and `xorders` do not match). Under IdentityReplicationPolicy remote
 * copies keep the name, so the pattern is the topic alone.
 *
 * Works for MM2's two policies; for another {@link ReplicationPolicy} use {@link isRemoteCopyOf}.
 */
export function remoteTopicPattern(
  policy: ReplicationPolicy,
  topic: string,
  options: RemoteTopicPatternOptions = {},
): RegExp {
  if (policy instanceof IdentityReplicationPolicy) return new RegExp(`^${escapeRegExp(topic)}$`);
  if (!(policy instanceof DefaultReplicationPolicy)) {
    throw new MirrorKitPolicyError(
      'POLICY_INVALID_CONFIG',
      'remoteTopicPattern needs a Default or Identity policy; use isRemoteCopyOf',
    );
  }
  const separator = escapeRegExp(policy.separator);
  const aliases = options.sourceAliases;
  if (aliases !== undefined) {
    for (const alias of aliases) {
      if (alias.length === 0 || alias.includes(policy.separator)) {
        throw new MirrorKitPolicyError(
          'POLICY_INVALID_ALIAS',
          `alias "${alias}" is empty or contains the separator "${policy.separator}"`,
        );
      }
    }
  }
  // An alias is a run of topic-name characters that does not contain the separator, the same
  // thing MM2's topicSource() cuts off at the first separator.
  const alias = aliases
    ? `(?:${aliases.map(escapeRegExp).join('|')})`
    : `(?:(?!${separator})[A-Za-z0-9._-])+`;
  // A remote name that starts like a Kafka internal topic (`__`, `.`) is one MM2 never creates
  // or replicates, so only the bare topic may start that way.
  const name = escapeRegExp(topic);
  return new RegExp(`^(?:${name}|(?!__|\\.)(?:${alias}${separator})+${name})$`);
}

/**
 * True when `candidate` is `topic` or a remote copy of it under any policy: following
 * `upstreamTopic` leads to `topic`, every hop's source is allowed, and it is not an internal topic.
 */
export function isRemoteCopyOf(
  policy: ReplicationPolicy,
  candidate: string,
  topic: string,
  options: RemoteTopicPatternOptions = {},
): boolean {
  if (candidate === topic) return true;
  if (policy.isInternalTopic(candidate)) return false;
  let current = candidate;
  for (let hops = 0; hops < 64; hops++) {
    if (current === topic) return true;
    const source = policy.topicSource(current);
    const upstream = policy.upstreamTopic(current);
    if (source === null || upstream === null || upstream === current) return false;
    if (options.sourceAliases && !options.sourceAliases.includes(source)) return false;
    current = upstream;
  }
  return false;
}
