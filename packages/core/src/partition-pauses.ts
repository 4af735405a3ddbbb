import type { Consumer } from 'kafkajs';

/**
 * Partitions paused on a consumer at a point they must not pass (a batch that does not decode, a
 * record the target refuses), each with why, and each resumed after `retryMs` so the point is
 * tried again: what was wrong may be mended by then. A partition is paused once; pausing it again
 * while paused changes nothing. The one mechanism under {@link UndecodablePartitionHold} and the
 * replicator's stopped partitions.
 */
export class PartitionPauses<T> {
  readonly #paused = new Map<string, { value: T; timer: NodeJS.Timeout }>();
  readonly #retryMs: number;

  constructor(retryMs: number) {
    this.#retryMs = retryMs;
  }

  /** Why each paused partition is paused, in the order they were paused. */
  get values(): T[] {
    return [...this.#paused.values()].map((p) => p.value);
  }

  /** Whether `topic\u0000partition` is paused. */
  has(key: string): boolean {
    return this.#paused.has(key);
  }

  /** Pauses `topic`'s `partition` on `consumer` for `value`; false when it was paused already. */
  pause(consumer: Pick<Consumer, 'pause' | 'resume'>, topic: string, partition: number, value: T): boolean {
    const key = `${topic}\u0000${partition}`;
    if (this.#paused.has(key)) return false;
    const target = [{ topic, partitions: [partition] }];
    consumer.pause(target);
    const timer = setTimeout(() => {
      this.#paused.delete(key);
      consumer.resume(target);
    }, this.#retryMs);
    timer.unref();
    this.#paused.set(key, { value, timer });
    return true;
  }

  /** Forgets the partitions `keep` says no to, and their retry timers. */
  retain(keep: (key: string) => boolean): void {
    for (const [key, { timer }] of this.#paused)
      if (!keep(key)) {
        clearTimeout(timer);
        this.#paused.delete(key);
      }
  }

  /** Forgets every pause and its retry timer (the consumer is stopping or being replaced). */
  clear(): void {
    this.retain(() => false);
  }
}
