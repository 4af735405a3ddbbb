import { createRequire } from 'node:module';
import type { Kafka } from 'kafkajs';

// kafkajs 2.2.4 (pinned; the project is no longer developed) has no manual partition assignment
// and no "alter consumer group offsets": every consumer joins a group, and admin.setOffsets()
// itself joins the group with a consumer, which takes seconds. MirrorKit must read MM2's internal
// topics without creating, joining or rebalancing any group, and commit translated offsets for an
// empty group in one round trip, as Java's AdminClient does. So these modules drive kafkajs's own
// cluster and broker layers directly. They reuse the caller's Kafka instance, so TLS, SASL and
// socket settings are exactly the caller's.

/** @internal */
export interface KafkajsPartitionData {
  partition: number;
  highWatermark: string;
  abortedTransactions: unknown[];
  messages: KafkajsMessage[];
}

/** @internal */
export interface KafkajsMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
  isControlRecord?: boolean;
}

/** @internal */
export interface KafkajsBroker {
  fetch(request: {
    replicaId: number;
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{ responses: { topicName: string; partitions: KafkajsPartitionData[] }[] }>;
  offsetCommit(request: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    topics: {
      topic: string;
      partitions: { partition: number; offset: string; metadata?: string | null }[];
    }[];
  }): Promise<{ responses: { topic: string; partitions: { partition: number; errorCode: number }[] }[] }>;
}

/** @internal */
export interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findBroker(target: { nodeId: number }): Promise<KafkajsBroker>;
  findGroupCoordinator(target: { groupId: string }): Promise<KafkajsBroker>;
  fetchTopicsOffset(
    topics: { topic: string; partitions: { partition: number }[]; fromBeginning: boolean }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

/** @internal */
export interface KafkajsBatch {
  messages: KafkajsMessage[];
  isEmptyIncludingFiltered(): boolean;
  lastOffset(): string;
}

type BatchConstructor = new (
  topic: string,
  fetchedOffset: string,
  data: KafkajsPartitionData,
) => KafkajsBatch;

const requireFromHere = createRequire(import.meta.url);
let batchClass: BatchConstructor | undefined;

/** @internal kafkajs's consumer Batch: filters aborted transactions and control records as a consumer does. */
export function kafkajsBatch(): BatchConstructor {
  batchClass ??= requireFromHere('kafkajs/src/consumer/batch.js') as BatchConstructor;
  return batchClass;
}

/** @internal */
export const READ_COMMITTED = 1;

/** @internal A fresh kafkajs cluster object built from the caller's Kafka instance (not connected). */
export function clusterOf(kafka: Kafka, unsupported: (detail: string) => Error): KafkajsCluster {
  const symbol = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const create = symbol ? (kafka as unknown as Record<symbol, unknown>)[symbol] : undefined;
  if (typeof create !== 'function') {
    throw unsupported(
      'this kafkajs build does not expose its cluster layer; @mirrorkit/core supports kafkajs 2.2.x',
    );
  }
  return create({ metadataMaxAge: 300_000, allowAutoTopicCreation: false, isolationLevel: READ_COMMITTED });
}
