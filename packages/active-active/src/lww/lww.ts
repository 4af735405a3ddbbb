import { compareStamps, type HlcStamp } from './hybrid-logical-clock.js';

/**
 * One write of a last-write-wins register: a value or a delete (tombstone), its stamp, and the
 * id of the write (its region key), which breaks ties after the stamp's region.
 */
export interface LwwEntry<T> {
  readonly stamp: HlcStamp;
  readonly id: string;
  readonly deleted: boolean;
  readonly value: T | undefined;
}

/**
 * Orders writes: stamp (wall time, counter, region), then id, then deletes after values, then the
 * values' JSON text. The last steps only matter for two different writes claiming the same stamp
 * and id; ordering them anyway keeps merge a true join (commutative) even then.
 */
export function compareEntries<T>(a: LwwEntry<T>, b: LwwEntry<T>): number {
  const byStamp = compareStamps(a.stamp, b.stamp);
  if (byStamp !== 0) return byStamp;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  if (a.deleted !== b.deleted) return a.deleted ? 1 : -1;
  const av = JSON.stringify(a.value) ?? '';
  const bv = JSON.stringify(b.value) ?? '';
  return av < bv ? -1 : av > bv ? 1 : 0;
}

/** The winner of two writes (commutative, associative, idempotent). */
export function mergeEntries<T>(
  a: LwwEntry<T> | undefined,
  b: LwwEntry<T> | undefined,
): LwwEntry<T> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareEntries(a, b) >= 0 ? a : b;
}

/**
 * A last-write-wins register.
 *
 * @example
 * ```ts
 * const r = new LwwRegister<number>();
 * r.set(5, clock.now(), 'us-east:w1');
 * r.merge(remoteRegister);
 * r.value; // the newest write's value, or undefined after a newer delete
 * ```
 */
export class LwwRegister<T> {
  #entry: LwwEntry<T> | undefined;

  constructor(entry?: LwwEntry<T>) {
    this.#entry = entry;
  }

  /** The winning write, if any. */
  get entry(): LwwEntry<T> | undefined {
    return this.#entry;
  }

  /** The current value; undefined when empty or deleted. */
  get value(): T | undefined {
    return this.#entry?.deleted ? undefined : this.#entry?.value;
  }

  /** Applies a write; returns true when it won (was newer than what the register held). */
  apply(entry: LwwEntry<T>): boolean {
    const merged = mergeEntries(this.#entry, entry);
    const won = merged === entry && merged !== this.#entry;
    this.#entry = merged;
    return won;
  }

  set(value: T, stamp: HlcStamp, id: string): boolean {
    return this.apply({ stamp, id, deleted: false, value });
  }

  delete(stamp: HlcStamp, id: string): boolean {
    return this.apply({ stamp, id, deleted: true, value: undefined });
  }

  /** Joins another replica of the register into this one. */
  merge(other: LwwRegister<T>): this {
    if (other.#entry) this.apply(other.#entry);
    return this;
  }
}

/**
 * A map of last-write-wins registers; deletes are tombstones so that a delete is not undone by an
 * older write arriving later from another region. Tombstones stay until
 * {@link LwwMap.pruneTombstones} drops those older than every write still in flight.
 */
export class LwwMap<T> {
  readonly #entries = new Map<string, LwwEntry<T>>();

  /** Applies a write to `key`; true when it won. */
  apply(key: string, entry: LwwEntry<T>): boolean {
    const current = this.#entries.get(key);
    const merged = mergeEntries(current, entry) as LwwEntry<T>;
    if (merged === current) return false;
    this.#entries.set(key, merged);
    return true;
  }

  set(key: string, value: T, stamp: HlcStamp, id: string): boolean {
    return this.apply(key, { stamp, id, deleted: false, value });
  }

  delete(key: string, stamp: HlcStamp, id: string): boolean {
    return this.apply(key, { stamp, id, deleted: true, value: undefined });
  }

  get(key: string): T | undefined {
    const entry = this.#entries.get(key);
    return entry?.deleted ? undefined : entry?.value;
  }

  /** The winning write for `key`, tombstones included. */
  entry(key: string): LwwEntry<T> | undefined {
    return this.#entries.get(key);
  }

  /** Joins another replica into this one. */
  merge(other: LwwMap<T>): this {
    for (const [key, entry] of other.#entries) this.apply(key, entry);
    return this;
  }

  /** Live keys and values, sorted by key (a stable view for comparing replicas). */
  toObject(): Record<string, T> {
    const out: Record<string, T> = {};
    for (const key of [...this.#entries.keys()].sort()) {
      const entry = this.#entries.get(key) as LwwEntry<T>;
      if (!entry.deleted) out[key] = entry.value as T;
    }
    return out;
  }

  /** Every entry, tombstones included. */
  entries(): IterableIterator<[string, LwwEntry<T>]> {
    return this.#entries.entries();
  }

  /** Drops tombstones stamped before `before`; returns how many. */
  pruneTombstones(before: HlcStamp): number {
    let dropped = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.deleted && compareStamps(entry.stamp, before) < 0) {
        this.#entries.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  get size(): number {
    return this.#entries.size;
  }
}
