import {
  type ClusterConfig,
  kafkaConnection as coreKafkaConnection,
  type KafkaConnection,
  type MirrorMakerConfig,
} from '@mirrorkit/core';

export type { UnsupportedSetting } from '@mirrorkit/core';

/**
 * Core's {@link coreKafkaConnection | kafkaConnection} with the replicator's client id. It fails
 * closed: a security setting it cannot honour is a `MirrorKitConfigError`, so the replicator never
 * connects less securely than the file asks.
 */
export function kafkaConnection(cluster: ClusterConfig, mm2: MirrorMakerConfig): KafkaConnection {
  return coreKafkaConnection(cluster, mm2, { clientId: `mirrorkit-replicator-${cluster.alias}` });
}
