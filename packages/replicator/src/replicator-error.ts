import { MirrorKitError } from '@mirrorkit/core';

/** Codes of {@link MirrorKitReplicatorError}. */
export type ReplicatorErrorCode =
  | 'REPLICATOR_UNSUPPORTED_SETTING'
  | 'REPLICATOR_NO_FLOW'
  | 'REPLICATOR_CLUSTER_UNREACHABLE'
  | 'REPLICATOR_BAD_ARGUMENT'
  | 'REPLICATOR_RECORD_REJECTED'
  | 'REPLICATOR_TOPIC_REFUSED';

/** Something the replicator cannot run with; names the setting, line or cluster. */
export class MirrorKitReplicatorError extends MirrorKitError {
  declare readonly code: ReplicatorErrorCode;
  constructor(code: ReplicatorErrorCode, message: string) {
    super(code, message);
  }
}

/**
 * The target refused a copied record for good (`REPLICATOR_RECORD_REJECTED`: timestamp, size,
 * validity) or refuses every record of its topic until someone acts (`REPLICATOR_TOPIC_REFUSED`:
 * authorization, policy). Names the source record; never carries its key or value.
 */
export class MirrorKitReplicatorRecordError extends MirrorKitReplicatorError {
  constructor(
    code: 'REPLICATOR_RECORD_REJECTED' | 'REPLICATOR_TOPIC_REFUSED',
    readonly topic: string,
    readonly partition: number,
    readonly offset: bigint,
    /** The broker's error name, e.g. `INVALID_TIMESTAMP`. */
    readonly brokerError: string,
    detail: string,
  ) {
    super(
      code,
      `${code === 'REPLICATOR_RECORD_REJECTED' ? 'the target refused record' : 'the target refuses the topic of record'} ${topic}-${partition}@${offset}: ${brokerError} (${detail})`,
    );
  }
}
