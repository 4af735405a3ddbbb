import { MirrorKitClientError } from './client-error.js';

/**
 * How long MM2 heartbeats from the primary must have been silent on the failover target before
 * an automatic failover goes: twice MM2's default `emit.heartbeats.interval.seconds` (1 s). One
 * missed heartbeat is jitter; two in a row, on top of this client's own failed probes, is the
 * replication path agreeing. It stays within the detection window of tight probe settings
 * (3 failures over 1.5 s), so it adds little or nothing to the RTO of a real outage.
 */
export const DEFAULT_SILENCE_MS = 2000;

/** Why the guard holds an automatic failover. */
export type HoldReason =
  /** No heartbeat from the primary was ever found on the target: the guard cannot tell. */
  | 'no-heartbeats'
  /** Heartbeats were seen before, but no read of them has succeeded during this outage yet. */
  | 'no-reading'
  /** The newest heartbeat on the target is younger than `silenceMs`: MM2 still reaches the primary. */
  | 'heartbeats-fresh'
  /** Old heartbeats, but a newer one arrived during this outage: replication lags, it has not stopped. */
  | 'heartbeats-arriving';

/** The guard's verdict. */
export type GuardVerdict =
  | { readonly decision: 'go'; readonly reason: 'heartbeats-silent' }
  | { readonly decision: 'hold'; readonly reason: HoldReason | 'primary-healthy' };

/** What the rule decides from; every duration is measured at the latest read of the target. */
export interface GuardInput {
  /** This client's probes of the primary are past the failure threshold. */
  readonly primaryUnhealthy: boolean;
  /**
   * Age of the newest heartbeat from the primary on the target, as read during this outage; null
   * when no read has succeeded since the primary began failing.
   */
  readonly heartbeatAgeMs: number | null;
  /** Time since a heartbeat was last seen arriving during this outage; null when none was. */
  readonly sinceArrivalMs: number | null;
  /** Whether any read ever found a heartbeat from the primary on the target. */
  readonly heartbeatsSeen: boolean;
  readonly silenceMs: number;
}

/**
 * The split-brain rule: this client's failed probes are not enough on their own; MirrorMaker 2's
 * heartbeats from the primary must also have stopped reaching the target for `silenceMs`. While
 * they still arrive, the primary is alive for MM2 (and probably for the rest of the fleet), and
 * this client is the one cut off.
 *
 * Heartbeat age alone would read replication *lag* as silence; an arrival seen during the outage
 * is counted too, so a lagging but live flow still holds. When no heartbeat from the primary was
 * ever seen on the target, the rule cannot tell a dead primary from a flow that carries no
 * heartbeats, and holds: moving a group on unconfirmed evidence is what the guard exists to
 * prevent, and `splitBrainGuard: false` is the explicit way to accept that risk.
 */
export function decideFailover(input: GuardInput): GuardVerdict {
  if (!input.primaryUnhealthy) return { decision: 'hold', reason: 'primary-healthy' };
  if (!input.heartbeatsSeen) return { decision: 'hold', reason: 'no-heartbeats' };
  if (input.heartbeatAgeMs === null) return { decision: 'hold', reason: 'no-reading' };
  if (input.heartbeatAgeMs < input.silenceMs) return { decision: 'hold', reason: 'heartbeats-fresh' };
  if (input.sinceArrivalMs !== null && input.sinceArrivalMs < input.silenceMs)
    return { decision: 'hold', reason: 'heartbeats-arriving' };
  return { decision: 'go', reason: 'heartbeats-silent' };
}

/** Validates the consumer's `splitBrainGuard` option; null when the guard is off. */
export function resolveSplitBrainGuard(
  option: boolean | { readonly silenceMs?: number } | undefined,
): { readonly silenceMs: number } | null {
  if (option === false) return null;
  if (option === undefined || option === true) return { silenceMs: DEFAULT_SILENCE_MS };
  if (typeof option !== 'object' || option === null) {
    throw new MirrorKitClientError(
      'CLIENT_CONFIG_INVALID',
      'splitBrainGuard: must be false, true or { silenceMs }',
      { field: 'splitBrainGuard' },
    );
  }
  const silenceMs = option.silenceMs ?? DEFAULT_SILENCE_MS;
  if (typeof silenceMs !== 'number' || !Number.isFinite(silenceMs) || silenceMs <= 0) {
    throw new MirrorKitClientError(
      'CLIENT_CONFIG_INVALID',
      `splitBrainGuard.silenceMs: must be a positive number of ms, got ${String(silenceMs)}`,
      { field: 'splitBrainGuard.silenceMs' },
    );
  }
  return { silenceMs };
}

/** What a health monitor has learnt about the heartbeats of one flow (a source, read on a target). */
export interface HeartbeatTrack {
  /** Timestamp (MM2's clock) of the newest heartbeat from the source ever found, or null. */
  readonly newestMs: number | null;
  /** When the latest successful read began (this client's clock), or null before the first. */
  readonly readAtMs: number | null;
  /**
   * When the read ended that found a heartbeat newer than the read before it, if that earlier read
   * had itself begun during the source's outage; null if no such arrival was seen.
   */
  readonly arrivalSeenAtMs: number | null;
}

export const UNREAD_TRACK: HeartbeatTrack = { newestMs: null, readAtMs: null, arrivalSeenAtMs: null };

/** Folds one successful read into `track`. */
export function recordHeartbeatRead(
  track: HeartbeatTrack,
  read: {
    readonly startedAtMs: number;
    readonly endedAtMs: number;
    /** The newest heartbeat the read found, or null (none on the target). */
    readonly newestMs: number | null;
    /** Since when the source's probes have been failing, or null while they succeed. */
    readonly failingSinceMs: number | null;
  },
): HeartbeatTrack {
  const advanced = read.newestMs !== null && (track.newestMs === null || read.newestMs > track.newestMs);
  // A heartbeat that turned up between a read from before the outage and one during it may have
  // arrived before the outage began; only one between two reads inside the outage proves that MM2
  // delivered while this client could not reach the source.
  const arrivedDuringOutage =
    advanced &&
    read.failingSinceMs !== null &&
    track.readAtMs !== null &&
    track.readAtMs >= read.failingSinceMs;
  return {
    newestMs: advanced ? read.newestMs : track.newestMs,
    readAtMs: read.startedAtMs,
    // The read's end, not its start: the arrival may have landed while the read was in flight.
    arrivalSeenAtMs: arrivedDuringOutage ? read.endedAtMs : track.arrivalSeenAtMs,
  };
}

/** The guard's inputs for one flow during the source's current outage (see {@link GuardInput}). */
export function heartbeatEvidence(
  track: HeartbeatTrack,
  failingSinceMs: number | null,
): Pick<GuardInput, 'heartbeatAgeMs' | 'sinceArrivalMs' | 'heartbeatsSeen'> {
  // A read from before the outage says nothing about now: heartbeats may have stopped since.
  const current = failingSinceMs !== null && track.readAtMs !== null && track.readAtMs >= failingSinceMs;
  const readAt = track.readAtMs ?? 0;
  return {
    heartbeatsSeen: track.newestMs !== null,
    // Measured from the read's start, so the read's own duration never counts as silence.
    heartbeatAgeMs: current && track.newestMs !== null ? Math.max(0, readAt - track.newestMs) : null,
    sinceArrivalMs:
      current && track.arrivalSeenAtMs !== null && track.arrivalSeenAtMs >= (failingSinceMs ?? 0)
        ? Math.max(0, readAt - track.arrivalSeenAtMs)
        : null,
  };
}

/**
 * The earliest moment a read of the flow could show `silenceMs` of silence, if no heartbeat
 * arrives meanwhile: `silenceMs` after the newest heartbeat, and after the last arrival seen during
 * this outage. Null when no heartbeat was ever seen (waiting cannot help then).
 */
export function silentEnoughAtMs(
  track: HeartbeatTrack,
  failingSinceMs: number | null,
  silenceMs: number,
): number | null {
  if (track.newestMs === null) return null;
  const arrival =
    failingSinceMs !== null && track.arrivalSeenAtMs !== null && track.arrivalSeenAtMs >= failingSinceMs
      ? track.arrivalSeenAtMs
      : track.newestMs;
  return Math.max(track.newestMs, arrival) + silenceMs;
}

/**
 * A consumer's automatic failover between the outage's first verdict and its end: whether it is
 * held (so later health events weigh it again), which hold was last reported (so re-evaluating
 * on every event does not repeat it), and whether a switch the guard let through is under way
 * (so a later reading does not start a second one).
 */
export class FailoverHold {
  #held = false;
  #reported: string | null = null;
  #heldSinceMs: number | null = null;
  switching = false;

  /** True while a failover is held and must be weighed again on later readings. */
  get held(): boolean {
    return this.#held;
  }

  /**
   * Holds without a report: true while this hold is younger than `patienceMs` and none of it was
   * reported yet. A real crash is often detected before its heartbeats have been silent for
   * `silenceMs`, so it is held for a moment and then goes: that is no news, and an alert on
   * `failover:held` must not fire for it.
   */
  holdQuietly(nowMs: number, patienceMs: number): boolean {
    this.#held = true;
    if (this.#reported !== null) return false;
    this.#heldSinceMs ??= nowMs;
    return nowMs - this.#heldSinceMs < patienceMs;
  }

  /** Records a hold; true when it differs from the last one reported, i.e. it is news. */
  hold(to: string, reason: HoldReason): boolean {
    this.#held = true;
    const key = `${to}\u0000${reason}`;
    if (this.#reported === key) return false;
    this.#reported = key;
    return true;
  }

  release(): void {
    this.#held = false;
    this.#reported = null;
    this.#heldSinceMs = null;
  }
}
