/** A key being handled, and whoever waits for it. */
export interface InFlight {
  hi: number;
  lo: number;
  waiters: (() => void)[] | null;
  prev: InFlight | null;
  next: InFlight | null;
}

/**
 * The keys being handled now, by fingerprint (the Deduplicator's notion of "the same key"). One
 * key in flight (kafkajs's default of one partition at a time) needs no map; more go into a map by
 * the fingerprint's low 30 bits (a small integer), chained when two share those. Waiters are rare
 * (concurrent copies of one key), so the common path makes no promise, and reuses its entry.
 */
export class InFlightKeys {
  #solo: InFlight | null = null;
  // The last entry to leave, reused by the next enter: the common path then allocates nothing.
  #spare: InFlight | null = null;
  readonly #byTag = new Map<number, InFlight>();

  find(hi: number, lo: number): InFlight | undefined {
    const solo = this.#solo;
    if (solo !== null && solo.hi === hi && solo.lo === lo) return solo;
    if (this.#byTag.size === 0) return undefined;
    let entry = this.#byTag.get(lo & TAG_MASK) ?? null;
    while (entry !== null && (entry.hi !== hi || entry.lo !== lo)) entry = entry.next;
    return entry ?? undefined;
  }

  /** Resolves once no copy of `hi:lo` is in flight (at once when none is). */
  async waitFor(hi: number, lo: number): Promise<void> {
    for (let busy = this.find(hi, lo); busy; busy = this.find(hi, lo)) {
      const waiting = busy;
      await new Promise<void>((resolveWait) => {
        waiting.waiters ??= [];
        waiting.waiters.push(resolveWait);
      });
    }
  }

  /** Marks `hi:lo` in flight. The entry is valid until {@link leave}; do not keep it past that. */
  enter(hi: number, lo: number): InFlight {
    let entry = this.#spare;
    if (entry === null) entry = { hi, lo, waiters: null, prev: null, next: null };
    else {
      this.#spare = null;
      entry.hi = hi;
      entry.lo = lo;
    }
    if (this.#solo === null) this.#solo = entry;
    else this.#link(entry);
    return entry;
  }

  /** Takes `entry` out and wakes whoever waited for it. */
  leave(entry: InFlight): void {
    if (entry === this.#solo) this.#solo = null;
    else this.#unlink(entry);
    const waiters = entry.waiters;
    entry.waiters = null;
    this.#spare = entry;
    if (waiters) for (const wake of waiters) wake();
  }

  #link(entry: InFlight): void {
    const tag = entry.lo & TAG_MASK;
    const first = this.#byTag.get(tag);
    entry.prev = null;
    entry.next = first ?? null;
    if (first) first.prev = entry;
    this.#byTag.set(tag, entry);
  }

  #unlink(entry: InFlight): void {
    const { prev, next } = entry;
    if (next) next.prev = prev;
    if (prev) prev.next = next;
    else if (next) this.#byTag.set(entry.lo & TAG_MASK, next);
    else this.#byTag.delete(entry.lo & TAG_MASK);
    entry.prev = null;
    entry.next = null;
  }
}

const TAG_MASK = 0x3fffffff;
