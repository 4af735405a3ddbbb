import { MirrorKitDedupError, MirrorKitDedupPersistError, MirrorKitSeenKeyStoreError } from '../errors.js';

/** How {@link dedup} waits between writes of a key its seen-key store rejected. */
export interface PersistRetryOptions {
  /** The wait after the first failure, doubled after each further one. Default 100 ms. */
  initialDelayMs?: number;
  /** The longest wait. Default 5000 ms (or `initialDelayMs`, if longer). */
  maxDelayMs?: number;
}

/** The backoff of {@link PersistRetryOptions}, validated. */
export interface Backoff {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export function backoffOf(options: PersistRetryOptions | undefined): Backoff {
  const initialDelayMs = options?.initialDelayMs ?? 100;
  const maxDelayMs = options?.maxDelayMs ?? Math.max(5000, initialDelayMs);
  if (!(initialDelayMs >= 0) || !Number.isFinite(initialDelayMs))
    throw new MirrorKitDedupError(
      `persistRetry.initialDelayMs must be a finite number >= 0, got ${initialDelayMs}`,
    );
  if (!(maxDelayMs >= initialDelayMs) || !Number.isFinite(maxDelayMs))
    throw new MirrorKitDedupError(
      `persistRetry.maxDelayMs must be finite and >= initialDelayMs (${initialDelayMs}), got ${maxDelayMs}`,
    );
  return { initialDelayMs, maxDelayMs };
}

/** What a retried write needs from where its record came from. */
export interface RetryContext {
  readonly backoff: Backoff;
  /** Whether the consumer is stopping: retries end then (checked between waits). */
  readonly stopped: () => boolean;
  /** Aborted when the consumer stops; wakes a wait at once. */
  readonly signal: AbortSignal | undefined;
  /** The record's heartbeat, when its payload has one. */
  readonly heartbeat: (() => Promise<void>) | undefined;
  /** Called after every failed write, with how many have failed so far. */
  readonly failed: (error: unknown, attempt: number) => void;
}

/**
 * Writes with `write` until it succeeds, after a first write that failed with `error`. Rejects
 * only when the consumer stops (with {@link MirrorKitDedupPersistError}), when the store says
 * waiting cannot help (the same error, caused by a {@link MirrorKitSeenKeyStoreError}), or when the
 * record's heartbeat fails (with that error, as kafkajs's own loop would: a rebalance or a lost
 * coordinator takes the record back, and kafkajs hands it over again).
 */
export async function writeUntilDone(
  key: string,
  write: () => Promise<void>,
  context: RetryContext,
  error: unknown,
): Promise<void> {
  let attempts = 1;
  let last = error;
  context.failed(last, attempts);
  for (;;) {
    if (last instanceof MirrorKitSeenKeyStoreError || context.stopped())
      throw new MirrorKitDedupPersistError(key, attempts, last);
    const { initialDelayMs, maxDelayMs } = context.backoff;
    await pause(Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempts - 1, 30)), context);
    if (context.stopped()) throw new MirrorKitDedupPersistError(key, attempts, last);
    // kafkajs heartbeats only between records: without this, a store down for longer than the
    // session timeout would get this member evicted, and another member would run the handler of
    // this record again.
    if (context.heartbeat) await context.heartbeat();
    try {
      await write();
      return;
    } catch (failure) {
      attempts++;
      last = failure;
      context.failed(failure, attempts);
    }
  }
}

// How often a wait looks at `stopped()`: kafkajs's isRunning() has no event to wait on, and a
// consumer.disconnect() waits for the handler.
const STOP_POLL_MS = 200;

async function pause(ms: number, context: RetryContext): Promise<void> {
  // Even without a delay, let timers and I/O run: a store failing at once would otherwise spin in
  // microtasks and starve the consumer's heartbeats and the very abort meant to stop it.
  if (ms <= 0) return new Promise((resolveTurn) => setImmediate(resolveTurn));
  const until = Date.now() + ms;
  for (let left = ms; left > 0 && !context.stopped(); left = until - Date.now())
    await sleep(Math.min(left, STOP_POLL_MS), context.signal);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolveSleep) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolveSleep();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
