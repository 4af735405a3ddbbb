import { MirrorKitError } from './errors.js';

/** Codes of {@link MirrorKitPolicyError}. */
export type PolicyErrorCode = 'POLICY_UNKNOWN_CLASS' | 'POLICY_INVALID_CONFIG' | 'POLICY_INVALID_ALIAS';

/** A replication policy that cannot be built or used as asked. */
export class MirrorKitPolicyError extends MirrorKitError {
  declare readonly code: PolicyErrorCode;
  constructor(code: PolicyErrorCode, message: string) {
    super(code, message);
  }
}
