import type { Consumer } from 'kafkajs';
import { PartitionPauses } from '../partition-pauses.js';
import { guardFetches } from './kafkajs-fetch-guard.js';
import type { MirrorKitUndecodableBatchError } from './undecodable-batch-error.js';

/** Options of {@link UndecodablePartitionHold}. */
export interface UndecodablePartitionHoldOptions {
  /** Told once each time a partition is held (and again if it still fails after a retry). */
  readonly onHeld: (error: MirrorKitUndecodableBatchError) => void;
  /** How long a held partition waits before it is fetched again. Default 30 s. */
  readonly retryMs?: number;
}

/**
 * The rule for a batch that cannot be decoded, for every MirrorKit consumer (the client's and
 * the sidecar's): the partition is paused at that batch, never advanced past it (that would skip
 * records), it is reported, and it is fetched again after `retryMs`, since a leader change can
 * bring a good replica's copy. Every other partition goes on meanwhile.
 */
export class UndecodablePartitionHold {
  readonly #options: UndecodablePartitionHoldOptions;
  readonly #held: PartitionPauses<MirrorKitUndecodableBatchError>;
  #consumer: Pick<Consumer, 'pause' | 'resume'> | null = null;

  constructor(options: UndecodablePartitionHoldOptions) {
    this.#options = options;
    this.#held = new PartitionPauses(options.retryMs ?? 30_000);
  }

  /** Partitions held now, each with the error that holds it. */
  get held(): readonly MirrorKitUndecodableBatchError[] {
    return this.#held.values;
  }

  /** `consumer.run(config)` with undecodable batches held instead of crashing the consumer. */
  run(consumer: Consumer, config: Parameters<Consumer['run']>[0]): Promise<void> {
    this.#consumer = consumer;
    return guardFetches(
      (error) => this.report(error),
      () => consumer.run(config),
    );
  }

  /** Forgets every hold and its retry timer (the consumer is stopping or being replaced). */
  clear(): void {
    this.#held.clear();
    this.#consumer = null;
  }

  /** Holds the error's partition on the consumer last given to {@link run} (what the guard calls). */
  report(error: MirrorKitUndecodableBatchError): void {
    // A fetch already in flight when the partition was paused can report it once more.
    if (!this.#consumer) return;
    if (this.#held.pause(this.#consumer, error.topic, error.partition, error)) this.#options.onHeld(error);
  }
}
