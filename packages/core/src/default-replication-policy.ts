import { MirrorKitPolicyError } from './policy-error.js';
import type { ReplicationPolicy } from './replication-policy.js';

/** Options of {@link DefaultReplicationPolicy}, named after MM2's config keys. */
export interface DefaultReplicationPolicyOptions {
  /** `replication.policy.separator`. Default `.`. */
  separator?: string;
  /**
   * `replication.policy.internal.topic.separator.enabled` (KIP-690). When false, MM2's internal
   * topics keep `.` even with a custom separator. Default true.
   */
  internalTopicSeparatorEnabled?: boolean;
}

/**
 * MM2's DefaultReplicationPolicy: remote topics are `<source><separator><topic>`, so
 * `orders` from `us-east` becomes `us-east.orders`, and two hops `us-west.us-east.orders`.
 *
 * Like MM2, the source is the text before the first separator. An alias that itself contains
 * the separator (`us.east` with `.`) therefore cannot be told apart from a two-hop name: MM2
 * reads `us.east.orders` as coming from `us`. Choose aliases without the separator.
 */
export class DefaultReplicationPolicy implements ReplicationPolicy {
  readonly separator: string;
  readonly internalTopicSeparatorEnabled: boolean;

  constructor(options: DefaultReplicationPolicyOptions = {}) {
    const separator = options.separator ?? '.';
    if (typeof separator !== 'string' || separator.length === 0) {
      throw new MirrorKitPolicyError(
        'POLICY_INVALID_CONFIG',
        'replication.policy.separator must not be empty',
      );
    }
    this.separator = separator;
    this.internalTopicSeparatorEnabled = options.internalTopicSeparatorEnabled ?? true;
  }

  formatRemoteTopic(sourceAlias: string, topic: string): string {
    return `${sourceAlias}${this.separator}${topic}`;
  }

  topicSource(topic: string): string | null {
    // Java's String.split drops trailing empty strings: `us-east.` has no source, `.orders` has
    // the empty source.
    const parts = topic.split(this.separator);
    while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    return parts.length < 2 ? null : (parts[0] as string);
  }

  upstreamTopic(topic: string): string | null {
    const source = this.topicSource(topic);
    return source === null ? null : topic.slice(source.length + this.separator.length);
  }

  originalTopic(topic: string): string {
    let current = topic;
    for (;;) {
      const upstream = this.upstreamTopic(current);
      if (upstream === null || upstream === current) return current;
      current = upstream;
    }
  }

  heartbeatsTopic(): string {
    return 'heartbeats';
  }

  #internalSeparator(): string {
    return this.internalTopicSeparatorEnabled ? this.separator : '.';
  }

  #internalSuffix(): string {
    return `${this.#internalSeparator()}internal`;
  }

  #checkpointsSuffix(): string {
    return `${this.#internalSeparator()}checkpoints${this.#internalSuffix()}`;
  }

  offsetSyncsTopic(clusterAlias: string): string {
    return `mm2-offset-syncs${this.#internalSeparator()}${clusterAlias}${this.#internalSuffix()}`;
  }

  checkpointsTopic(clusterAlias: string): string {
    return `${clusterAlias}${this.#checkpointsSuffix()}`;
  }

  isHeartbeatsTopic(topic: string): boolean {
    return this.originalTopic(topic) === this.heartbeatsTopic();
  }

  isCheckpointsTopic(topic: string): boolean {
    return topic.endsWith(this.#checkpointsSuffix());
  }

  isMM2InternalTopic(topic: string): boolean {
    return topic.endsWith(this.#internalSuffix());
  }

  isInternalTopic(topic: string): boolean {
    const kafkaInternal = topic.startsWith('__') || topic.startsWith('.');
    const connectInternal = topic.endsWith('-internal') || topic.endsWith('.internal');
    return this.isMM2InternalTopic(topic) || kafkaInternal || connectInternal;
  }
}
