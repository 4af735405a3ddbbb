import { MirrorKitError } from '@mirrorkit/core';

/** Stable codes of the errors the client throws. */
export type ClientErrorCode =
  | 'CLIENT_CONFIG_INVALID'
  | 'CLIENT_UNKNOWN_ALIAS'
  | 'CLIENT_NOT_CONNECTED'
  | 'CLIENT_ALREADY_RUNNING'
  | 'CLIENT_FAILOVER_IN_PROGRESS'
  | 'CLIENT_FAILOVER_FAILED'
  | 'CLIENT_CLUSTER_UNREACHABLE'
  | 'CLIENT_NO_REVERSE_FLOW'
  | 'CLIENT_SEND_QUEUE_FULL'
  | 'CLIENT_SEND_TIMEOUT'
  | 'CLIENT_CLOSED';

/**
 * An error from `@mirrorkit/client`. `field` names the configuration field at fault for
 * configuration errors (e.g. `clusters.us-west.brokers`).
 */
export class MirrorKitClientError extends MirrorKitError {
  declare readonly code: ClientErrorCode;
  readonly field: string | undefined;

  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown; field?: string }) {
    super(code, message, options);
    this.field = options?.field;
  }
}
