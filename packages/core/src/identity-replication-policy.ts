import {
  DefaultReplicationPolicy,
  type DefaultReplicationPolicyOptions,
} from './default-replication-policy.js';

/** Options of {@link IdentityReplicationPolicy}. */
export interface IdentityReplicationPolicyOptions extends DefaultReplicationPolicyOptions {
  /** `source.cluster.alias`: what `topicSource` answers for every non-heartbeat topic. */
  sourceClusterAlias?: string;
}

/**
 * MM2's IdentityReplicationPolicy: remote topics keep their names (`orders` stays `orders`), so
 * loops must be prevented by topic filters. Heartbeats are the exception and are still prefixed
 * like the default policy (`us-east.heartbeats`), which keeps MM2's lag tooling working.
 *
 * Since names carry no source, `topicSource` answers the configured `sourceClusterAlias` (or null)
 * for every topic that is not a heartbeats topic.
 */
export class IdentityReplicationPolicy extends DefaultReplicationPolicy {
  readonly sourceClusterAlias: string | null;

  constructor(options: IdentityReplicationPolicyOptions = {}) {
    super(options);
    this.sourceClusterAlias = options.sourceClusterAlias ?? null;
  }

  #looksLikeHeartbeat(topic: string): boolean {
    return topic.endsWith(this.heartbeatsTopic());
  }

  override formatRemoteTopic(sourceAlias: string, topic: string): string {
    return this.#looksLikeHeartbeat(topic) ? super.formatRemoteTopic(sourceAlias, topic) : topic;
  }

  override topicSource(topic: string): string | null {
    return this.#looksLikeHeartbeat(topic) ? super.topicSource(topic) : this.sourceClusterAlias;
  }

  override upstreamTopic(topic: string): string | null {
    return this.#looksLikeHeartbeat(topic) ? super.upstreamTopic(topic) : topic;
  }
}
