import { MirrorKitError } from '@mirrorkit/core';

// Every error of the package: one file, as each MirrorKit package has.

/** Bad options for a {@link Deduplicator}. */
export class MirrorKitDedupError extends MirrorKitError {
  declare readonly code: 'DEDUP_INVALID_OPTION';
  constructor(message: string) {
    super('DEDUP_INVALID_OPTION', message);
  }
}

/**
 * A key whose handler succeeded but whose write to the seen-key store was given up because the
 * consumer is stopping (or the store cannot take it: the cause is then a
 * {@link MirrorKitSeenKeyStoreError}). The record fails, so its offset is not committed; the key
 * stays remembered in memory and is written before any later record carrying it is let through.
 */
export class MirrorKitDedupPersistError extends MirrorKitError {
  declare readonly code: 'DEDUP_KEY_NOT_PERSISTED';
  /** The dedup key that was handled and is not persisted. */
  readonly key: string;
  /** Failed writes of it so far. */
  readonly attempts: number;
  constructor(key: string, attempts: number, cause: unknown) {
    super(
      'DEDUP_KEY_NOT_PERSISTED',
      `the handler of ${key} succeeded but its seen-key write failed ${attempts} time(s), given up as ${
        cause instanceof MirrorKitSeenKeyStoreError ? 'the store cannot take it' : 'the consumer is stopping'
      } (the record fails uncommitted; the key is written when it comes again): ${String(cause)}`,
      { cause },
    );
    this.key = key;
    this.attempts = attempts;
  }
}

/**
 * What a seen-key store refuses: `SEEN_KEY_STORE_NOT_OPEN`, used before
 * {@link KafkaSeenKeyStore.open} or after `close()`; `SEEN_KEY_STORE_UNKNOWN_CLUSTER`, a record
 * read from a cluster {@link SeenKeyStores} has no store for (or from no named cluster at all);
 * `SEEN_KEY_STORE_NO_PARTITION`, a write to a {@link PartitionedSeenKeyStore} that names no
 * partition.
 */
export type SeenKeyStoreErrorCode =
  | 'SEEN_KEY_STORE_NOT_OPEN'
  | 'SEEN_KEY_STORE_UNKNOWN_CLUSTER'
  | 'SEEN_KEY_STORE_NO_PARTITION';

/**
 * A store used when it cannot be: not open, or no store for the record's cluster. Waiting does not
 * mend either, so {@link dedup} stops retrying a write that fails with this error.
 */
export class MirrorKitSeenKeyStoreError extends MirrorKitError {
  declare readonly code: SeenKeyStoreErrorCode;
  constructor(message: string, code: SeenKeyStoreErrorCode = 'SEEN_KEY_STORE_NOT_OPEN') {
    super(code, message);
  }
}

/** A seen-key record that is not one of ours. */
export class MirrorKitSeenKeyCodecError extends MirrorKitError {
  declare readonly code: 'SEEN_KEY_INVALID_RECORD';
  constructor(message: string) {
    super('SEEN_KEY_INVALID_RECORD', message);
  }
}

/** Stamps that cannot be used. */
export class MirrorKitClockError extends MirrorKitError {
  declare readonly code: 'CLOCK_SKEW' | 'CLOCK_INVALID_STAMP' | 'CLOCK_COUNTER_OVERFLOW';
  constructor(code: 'CLOCK_SKEW' | 'CLOCK_INVALID_STAMP' | 'CLOCK_COUNTER_OVERFLOW', message: string) {
    super(code, message);
  }
}
