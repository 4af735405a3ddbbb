/**
 * The records MirrorMaker 2 keeps in its internal topics, as plain values. Offsets and timestamps
 * are `bigint` because they are Java `long`s on the wire and a JS number cannot hold every int64.
 */

/**
 * One consumer group's progress on one partition, as MM2's checkpoint connector writes it to
 * `<source>.checkpoints.internal` on the target cluster. `topic` is the topic name **on the target**
 * (e.g. `us-east.orders` under the default policy).
 */
export interface Checkpoint {
  readonly consumerGroupId: string;
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset on the source cluster. */
  readonly upstreamOffset: bigint;
  /** The offset on the target cluster from which the group can resume without skipping anything. */
  readonly downstreamOffset: bigint;
  /** The commit metadata string the group stored with its offset (often empty). */
  readonly metadata: string;
}

/**
 * A pair of offsets known to hold the same record on source and target, as MM2's source connector
 * writes it to `mm2-offset-syncs.<alias>.internal`. `topic` is the topic name **on the source**.
 */
export interface OffsetSync {
  readonly topic: string;
  readonly partition: number;
  readonly upstreamOffset: bigint;
  readonly downstreamOffset: bigint;
}

/** A liveness beat from one cluster alias to another, as MM2 writes it to `heartbeats`. */
export interface Heartbeat {
  readonly sourceClusterAlias: string;
  readonly targetClusterAlias: string;
  /** Milliseconds since the epoch when the beat was emitted. */
  readonly timestamp: bigint;
}

/** A Kafka record's key and value as bytes, the unit every codec reads and writes. */
export interface EncodedRecord {
  readonly key: Buffer;
  readonly value: Buffer;
}

/**
 * Where a consumer group is on one partition of its active cluster, as the MirrorKit consumer (or
 * a plain kafkajs consumer through the client's helper) writes it to each DR cluster's
 * `mirrorkit-progress.internal`: fresher than MM2's checkpoints, and exact through the fingerprint.
 */
export interface ProgressRecord {
  /** The alias of the cluster the group was reading (the one a failover leaves). */
  readonly sourceCluster: string;
  readonly consumerGroupId: string;
  /** The topic on the source cluster. */
  readonly topic: string;
  readonly partition: number;
  /** The offset after the last record the group processed: the next one it would be handed. */
  readonly nextOffset: bigint;
  /** The {@link recordFingerprint} of the record at `nextOffset - 1`. */
  readonly fingerprint: string;
  /**
   * That record's timestamp (ms): MM2 keeps it, so the broker's time index finds where on the copy
   * to start looking, instead of reading from the checkpoint on.
   */
  readonly recordTimestamp: bigint;
  /** When the consumer wrote it (ms since the epoch, its own clock). */
  readonly writtenAtMs: bigint;
}
