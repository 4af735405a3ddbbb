import { PartitionPauses } from '@mirrorkit/core';
import type { Consumer } from 'kafkajs';
import type { StoppedPartition } from '../flow-status.js';

/** How long a stopped partition waits before its record is tried again, ms. */
export const STOPPED_PARTITION_RETRY_MS = 30_000;

/**
 * Source partitions the copy loop stopped on a record the target refuses (`errors.tolerance =
 * none`, or a topic the target refuses whatever the tolerance): paused on the copy consumer at
 * that record, never copied past it, reported, and tried again every
 * {@link STOPPED_PARTITION_RETRY_MS} (someone may have fixed the target's config or ACLs meanwhile).
 */
export class PartitionStops {
  readonly #stopped: PartitionPauses<StoppedPartition>;
  /** When each partition first stopped at its current record: a retry that fails again keeps it. */
  readonly #first = new Map<string, { offset: string; since: number }>();

  constructor(retryMs = STOPPED_PARTITION_RETRY_MS) {
    this.#stopped = new PartitionPauses(retryMs);
  }

  get stopped(): readonly StoppedPartition[] {
    return this.#stopped.values;
  }

  has(key: string): boolean {
    return this.#stopped.has(key);
  }

  /** Pauses `stop`'s partition on `consumer`; false when it was stopped already. */
  stop(
    consumer: Pick<Consumer, 'pause' | 'resume'>,
    stop: Omit<StoppedPartition, 'since'>,
    since = Date.now(),
  ): boolean {
    const key = `${stop.topic}\u0000${stop.partition}`;
    if (this.#stopped.has(key)) return false;
    const first = this.#first.get(key);
    const stoppedSince = first?.offset === stop.offset ? first.since : since;
    this.#first.set(key, { offset: stop.offset, since: stoppedSince });
    return this.#stopped.pause(consumer, stop.topic, stop.partition, { ...stop, since: stoppedSince });
  }

  /** Forgets partitions this process no longer owns (another one meets the record now). */
  retain(owned: ReadonlySet<string>): void {
    this.#stopped.retain((key) => owned.has(key));
    for (const key of this.#first.keys()) if (!owned.has(key)) this.#first.delete(key);
  }

  /** Forgets every stop (the consumer is stopping or being replaced; a new one meets the record again). */
  clear(): void {
    this.#stopped.clear();
    this.#first.clear();
  }
}
