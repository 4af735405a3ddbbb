/**
 * How MirrorMaker 2 names topics across clusters: MM2's `ReplicationPolicy` interface, method for
 * method. Absent answers are `null`.
 */
export interface ReplicationPolicy {
  /** The name of `topic` from `sourceAlias` once replicated (e.g. `us-east.orders`). */
  formatRemoteTopic(sourceAlias: string, topic: string): string;
  /** The alias of the cluster `topic` was replicated from, or null for a local topic. */
  topicSource(topic: string): string | null;
  /** The topic's name one hop upstream, or null for a local topic. */
  upstreamTopic(topic: string): string | null;
  /** The topic's name on the cluster it was first written to, following every hop. */
  originalTopic(topic: string): string;
  /** The topic MM2's heartbeat connector writes to (`heartbeats`). */
  heartbeatsTopic(): string;
  /** The offset-syncs topic MM2 keeps for flows from `clusterAlias`. */
  offsetSyncsTopic(clusterAlias: string): string;
  /** The checkpoints topic MM2 writes on the target for flows from `clusterAlias`. */
  checkpointsTopic(clusterAlias: string): string;
  isHeartbeatsTopic(topic: string): boolean;
  isCheckpointsTopic(topic: string): boolean;
  /** True for MM2's own internal topics (offset syncs, checkpoints, Connect's stores). */
  isMM2InternalTopic(topic: string): boolean;
  /** True for topics MM2 never replicates: Kafka's, Connect's and MM2's internal topics. */
  isInternalTopic(topic: string): boolean;
}
