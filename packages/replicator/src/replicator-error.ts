import { MirrorKitError } from '@mirrorkit/core';

/** Codes of {@link MirrorKitReplicatorError}. */
export type ReplicatorErrorCode =
  | 'REPLICATOR_UNSUPPORTED_SETTING'
  | 'REPLICATOR_NO_FLOW'
  | 'REPLICATOR_CLUSTER_UNREACHABLE'
  | 'REPLICATOR_BAD_ARGUMENT';

/** Something the replicator cannot run with; names the setting, line or cluster. */
export class MirrorKitReplicatorError extends MirrorKitError {
  declare readonly code: ReplicatorErrorCode;
  constructor(code: ReplicatorErrorCode, message: string) {
    super(code, message);
  }
}
