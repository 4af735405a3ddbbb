import { Buffer } from 'node:buffer';
import { EventEmitter } from 'eventemitter3';
import { MirrorKitClockError } from '../errors.js';

/**
 * A hybrid logical clock reading: physical ms, a counter that orders events within the same ms
 * (or while a remote clock runs ahead of ours), and the region that made it.
 */
export interface HlcStamp {
  readonly wallMs: number;
  readonly counter: number;
  readonly region: string;
}

/** Reported when a remote stamp lies further ahead of the local clock than allowed. */
export interface ClockSkewEvent {
  readonly region: string;
  readonly remote: HlcStamp;
  readonly localWallMs: number;
  readonly skewMs: number;
  readonly maxSkewMs: number;
  /** What was done: adopted (`report`) or refused (`reject`). */
  readonly action: 'report' | 'reject';
}

/** Options of {@link HybridLogicalClock}. */
export interface HybridLogicalClockOptions {
  /** This clock's region (`us-east`); part of every stamp, and the first tie-breaker. */
  region: string;
  /** Physical clock in ms. Default `Date.now`. */
  now?: () => number;
  /** A remote stamp more than this far ahead of the local physical clock is skew. Default 60 s. */
  maxSkewMs?: number;
  /**
   * On skew: `report` (default) emits `skew` and adopts the remote time anyway, so ordering stays
   * causal; `reject` emits `skew` and throws `CLOCK_SKEW` without moving the clock, so one bad
   * clock cannot drag every region's clock into the future.
   */
  onSkew?: 'report' | 'reject';
}

const MAX_COUNTER = 0xffff;

/**
 * A hybrid logical clock (Kulkarni et al., 2014). Stamps are totally ordered by
 * {@link compareStamps}, never go backwards even if the physical clock does, and a stamp made
 * after receiving another is always greater than it, so last-write-wins follows causality however
 * far region clocks drift apart.
 *
 * @example
 * ```ts
 * const clock = new HybridLogicalClock({ region: 'us-east' });
 * const stamp = clock.now();          // for an outgoing write
 * clock.receive(remoteStamp);         // on an incoming one
 * ```
 */
export class HybridLogicalClock extends EventEmitter<{ skew: [event: ClockSkewEvent] }> {
  readonly region: string;
  readonly maxSkewMs: number;
  readonly #physical: () => number;
  readonly #onSkew: 'report' | 'reject';
  #wallMs = 0;
  #counter = 0;

  constructor(options: HybridLogicalClockOptions) {
    super();
    if (!options.region || options.region.includes(':'))
      throw new MirrorKitClockError(
        'CLOCK_INVALID_STAMP',
        `region "${options.region}" must be non-empty, without ':'`,
      );
    this.region = options.region;
    this.#physical = options.now ?? Date.now;
    this.maxSkewMs = options.maxSkewMs ?? 60_000;
    this.#onSkew = options.onSkew ?? 'report';
  }

  /** The last stamp issued or absorbed (without ticking). */
  get last(): HlcStamp {
    return { wallMs: this.#wallMs, counter: this.#counter, region: this.region };
  }

  /** A new stamp for a local event (a write), greater than every stamp seen so far. */
  now(): HlcStamp {
    const physical = Math.floor(this.#physical());
    if (physical > this.#wallMs) {
      this.#wallMs = physical;
      this.#counter = 0;
    } else {
      this.#tick();
    }
    return this.last;
  }

  /**
   * Absorbs a stamp from another region; the next {@link now} will be greater than it. Returns
   * the clock's new reading. Skew beyond `maxSkewMs` is reported (and refused with `reject`).
   */
  receive(remote: HlcStamp): HlcStamp {
    this.absorb(remote);
    return this.last;
  }

  /** {@link receive} without building the returned reading (for per-record paths). */
  absorb(remote: HlcStamp): void {
    validateStamp(remote);
    const physical = Math.floor(this.#physical());
    const skewMs = remote.wallMs - physical;
    if (skewMs > this.maxSkewMs) {
      this.emit('skew', {
        region: this.region,
        remote,
        localWallMs: physical,
        skewMs,
        maxSkewMs: this.maxSkewMs,
        action: this.#onSkew,
      });
      if (this.#onSkew === 'reject')
        throw new MirrorKitClockError(
          'CLOCK_SKEW',
          `stamp from ${remote.region} is ${skewMs} ms ahead of ${this.region}'s clock (limit ${this.maxSkewMs} ms)`,
        );
    }
    const wall = Math.max(this.#wallMs, remote.wallMs, physical);
    if (wall === this.#wallMs && wall === remote.wallMs) {
      this.#counter = Math.max(this.#counter, remote.counter);
      this.#tick();
    } else if (wall === this.#wallMs) {
      this.#tick();
    } else if (wall === remote.wallMs) {
      this.#wallMs = wall;
      this.#counter = remote.counter;
      this.#tick();
    } else {
      this.#wallMs = wall;
      this.#counter = 0;
    }
  }

  #tick(): void {
    if (this.#counter < MAX_COUNTER) {
      this.#counter++;
      return;
    }
    // 65,536 events inside one ms (or a remote clock far ahead): borrow the next ms rather than
    // wrap, which keeps stamps increasing at the cost of running slightly ahead.
    this.#wallMs++;
    this.#counter = 0;
  }
}

function validateStamp(stamp: HlcStamp): void {
  if (
    !Number.isSafeInteger(stamp.wallMs) ||
    stamp.wallMs < 0 ||
    !Number.isInteger(stamp.counter) ||
    stamp.counter < 0 ||
    stamp.counter > MAX_COUNTER ||
    typeof stamp.region !== 'string' ||
    stamp.region.length === 0
  ) {
    throw new MirrorKitClockError('CLOCK_INVALID_STAMP', `invalid HLC stamp ${JSON.stringify(stamp)}`);
  }
}

/** Total order of stamps: wall time, then counter, then region (so equal readings never tie). */
export function compareStamps(a: HlcStamp, b: HlcStamp): number {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return a.region < b.region ? -1 : a.region > b.region ? 1 : 0;
}

/**
 * A stamp as text for a record header: `<wallMs>.<counter>@<region>`, e.g.
 * `1732471234567.3@us-east`.
 */
export function formatStamp(stamp: HlcStamp): string {
  validateStamp(stamp);
  return `${stamp.wallMs}.${stamp.counter}@${stamp.region}`;
}

const STAMP_TEXT = /^(\d{1,16})\.(\d{1,5})@([^\s@:]+)$/;

/** Parses {@link formatStamp}'s text; throws `CLOCK_INVALID_STAMP` naming the text otherwise. */
export function parseStamp(text: string): HlcStamp {
  const match = STAMP_TEXT.exec(text);
  if (!match)
    throw new MirrorKitClockError('CLOCK_INVALID_STAMP', `"${text.slice(0, 80)}" is not an HLC stamp`);
  const stamp = { wallMs: Number(match[1]), counter: Number(match[2]), region: match[3] as string };
  validateStamp(stamp);
  return stamp;
}

// Regions seen lately, so that parsing a stamp from bytes makes no string for a known region.
const regionCache: string[] = [];
let regionCacheNext = 0;

/**
 * {@link parseStamp} of the UTF-8 text in `bytes` (a record header as kafkajs delivers it), with
 * the same result and the same errors, but without decoding the usual ASCII stamp into a string
 * or running the regular expression.
 */
export function parseStampBytes(bytes: Uint8Array): HlcStamp {
  const n = bytes.length;
  let i = 0;
  let wallMs = 0;
  while (i < n && i < 17) {
    const d = (bytes[i] as number) - 48;
    if (d < 0 || d > 9) break;
    wallMs = wallMs * 10 + d;
    i++;
  }
  const wallDigits = i;
  let counter = 0;
  if (wallDigits >= 1 && wallDigits <= 16 && i < n && bytes[i] === 0x2e) {
    i++;
    const start = i;
    while (i < n && i - start < 6) {
      const d = (bytes[i] as number) - 48;
      if (d < 0 || d > 9) break;
      counter = counter * 10 + d;
      i++;
    }
    const counterDigits = i - start;
    if (counterDigits >= 1 && counterDigits <= 5 && i < n && bytes[i] === 0x40) {
      const region = asciiRegion(bytes, i + 1);
      // Past this, the text path decides (and words the error) exactly as for a string.
      if (region !== null && Number.isSafeInteger(wallMs) && counter <= MAX_COUNTER)
        return { wallMs, counter, region };
    }
  }
  return parseStamp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
}

/** `bytes[start..]` as a region (`[^\s@:]+`, ASCII only here), or null. */
function asciiRegion(bytes: Uint8Array, start: number): string | null {
  const n = bytes.length;
  if (start >= n) return null;
  for (let i = start; i < n; i++) {
    const c = bytes[i] as number;
    // Not ASCII (left to the text path), or one of \s (tab, LF, VT, FF, CR, space), '@', ':'.
    if (c > 0x7f || (c >= 0x09 && c <= 0x0d) || c === 0x20 || c === 0x40 || c === 0x3a) return null;
  }
  const length = n - start;
  for (const cached of regionCache) {
    if (cached.length !== length) continue;
    let same = true;
    for (let i = 0; i < length && same; i++) same = cached.charCodeAt(i) === bytes[start + i];
    if (same) return cached;
  }
  const region = Buffer.from(bytes.buffer, bytes.byteOffset + start, length).toString('latin1');
  regionCache[regionCacheNext] = region;
  regionCacheNext = (regionCacheNext + 1) % 8;
  return region;
}
