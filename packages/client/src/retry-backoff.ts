import { MirrorKitClientError } from './client-error.js';

/** How a failover retries while its target does not answer. */
export interface FailoverRetryOptions {
  /** Wait after the first failed try; it doubles with each try after. Default 250 ms. */
  initialDelayMs?: number;
  /** Longest wait between two tries. Default 5,000 ms. */
  maxDelayMs?: number;
  /**
   * One try to connect gives up after this long. kafkajs retries a connect by itself for as long
   * as its `retry` settings say (about 10 s by default), and an idempotent producer's
   * InitProducerId for as long as the producer's; this bounds a try either way. Default 10,000 ms.
   */
  attemptTimeoutMs?: number;
}

export type ResolvedFailoverRetry = Required<FailoverRetryOptions>;

/** Fills in defaults; a value that is not a positive number is refused, naming its field. */
export function resolveFailoverRetry(options: FailoverRetryOptions = {}): ResolvedFailoverRetry {
  const resolved = {
    initialDelayMs: options.initialDelayMs ?? 250,
    maxDelayMs: options.maxDelayMs ?? 5000,
    attemptTimeoutMs: options.attemptTimeoutMs ?? 10_000,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new MirrorKitClientError(
        'CLIENT_CONFIG_INVALID',
        `failoverRetry.${name}: must be a positive number of milliseconds`,
        { field: `failoverRetry.${name}` },
      );
    }
  }
  if (resolved.maxDelayMs < resolved.initialDelayMs) {
    throw new MirrorKitClientError(
      'CLIENT_CONFIG_INVALID',
      'failoverRetry.maxDelayMs: must not be below failoverRetry.initialDelayMs',
      { field: 'failoverRetry.maxDelayMs' },
    );
  }
  return resolved;
}

/**
 * The wait after failed try `attempt` (1-based): exponential, capped, and jittered over its upper
 * half, so that many producers that lost the same cluster do not knock on the new one in step.
 */
export function backoffDelay(
  attempt: number,
  options: Pick<ResolvedFailoverRetry, 'initialDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.max(1, Math.round(ceiling / 2 + random() * (ceiling / 2)));
}
