import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MirrorKitClientError } from './client-error.js';
import {
  DEFAULT_SILENCE_MS,
  decideFailover,
  FailoverHold,
  type GuardInput,
  type HeartbeatTrack,
  heartbeatEvidence,
  recordHeartbeatRead,
  resolveSplitBrainGuard,
  silentEnoughAtMs,
  UNREAD_TRACK,
} from './split-brain-guard.js';

const input = (over: Partial<GuardInput> = {}): GuardInput => ({
  primaryUnhealthy: true,
  heartbeatAgeMs: 5000,
  sinceArrivalMs: null,
  heartbeatsSeen: true,
  silenceMs: 2000,
  ...over,
});

describe('decideFailover: the split-brain rule', () => {
  it('goes only when the primary is unhealthy and its heartbeats have been silent for silenceMs', () => {
    expect(decideFailover(input())).toEqual({ decision: 'go', reason: 'heartbeats-silent' });
    // Exactly silenceMs of silence is enough; one ms less is not.
    expect(decideFailover(input({ heartbeatAgeMs: 2000 })).decision).toBe('go');
    expect(decideFailover(input({ heartbeatAgeMs: 1999 }))).toEqual({
      decision: 'hold',
      reason: 'heartbeats-fresh',
    });
  });

  it('holds while MM2 still delivers: fresh heartbeats, or old ones still arriving (lag)', () => {
    expect(decideFailover(input({ heartbeatAgeMs: 300 })).reason).toBe('heartbeats-fresh');
    // Ten seconds of replication lag reads as an old heartbeat; one arriving 400 ms ago says the
    // flow is alive.
    expect(decideFailover(input({ heartbeatAgeMs: 10_000, sinceArrivalMs: 400 }))).toEqual({
      decision: 'hold',
      reason: 'heartbeats-arriving',
    });
    expect(decideFailover(input({ heartbeatAgeMs: 10_000, sinceArrivalMs: 2000 })).decision).toBe('go');
  });

  it('holds when no heartbeat from the primary was ever seen: it cannot tell', () => {
    expect(decideFailover(input({ heartbeatsSeen: false, heartbeatAgeMs: null }))).toEqual({
      decision: 'hold',
      reason: 'no-heartbeats',
    });
    // Even a huge silence cannot be trusted from a flow that never showed a heartbeat.
    expect(decideFailover(input({ heartbeatsSeen: false, heartbeatAgeMs: 60_000 })).reason).toBe(
      'no-heartbeats',
    );
  });

  it('holds without a reading from this outage, and never moves off a healthy primary', () => {
    expect(decideFailover(input({ heartbeatAgeMs: null })).reason).toBe('no-reading');
    expect(decideFailover(input({ primaryUnhealthy: false }))).toEqual({
      decision: 'hold',
      reason: 'primary-healthy',
    });
  });

  it('goes exactly when every piece of evidence agrees (any inputs)', () => {
    const age = fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: null });
    fc.assert(
      fc.property(
        fc.boolean(),
        age,
        age,
        fc.boolean(),
        fc.integer({ min: 1, max: 10_000 }),
        (primaryUnhealthy, heartbeatAgeMs, sinceArrivalMs, heartbeatsSeen, silenceMs) => {
          const verdict = decideFailover({
            primaryUnhealthy,
            heartbeatAgeMs,
            sinceArrivalMs,
            heartbeatsSeen,
            silenceMs,
          });
          const agrees =
            primaryUnhealthy &&
            heartbeatsSeen &&
            heartbeatAgeMs !== null &&
            heartbeatAgeMs >= silenceMs &&
            (sinceArrivalMs === null || sinceArrivalMs >= silenceMs);
          expect(verdict.decision).toBe(agrees ? 'go' : 'hold');
        },
      ),
    );
  });
});

/** Folds reads `[startedAtMs, newestMs]` (each 20 ms long) into a track. */
function reads(failingSinceMs: number | null, ...list: [number, number | null][]): HeartbeatTrack {
  return list.reduce(
    (track, [startedAtMs, newestMs]) =>
      recordHeartbeatRead(track, { startedAtMs, endedAtMs: startedAtMs + 20, newestMs, failingSinceMs }),
    UNREAD_TRACK,
  );
}

describe('heartbeat bookkeeping: what the readings say about the current outage', () => {
  it('a dead primary: heartbeats stop, the age grows from the read, and only an outage read counts', () => {
    // Heartbeats every second until the crash at 10_000; probes fail from 10_200.
    const before = reads(null, [8000, 7900], [9000, 8900], [10_000, 9900]);
    expect(heartbeatEvidence(before, 10_200)).toEqual({
      heartbeatsSeen: true,
      heartbeatAgeMs: null, // read before the outage: says nothing about now
      sinceArrivalMs: null,
    });
    const during = [10_300, 10_800, 11_300, 11_800, 12_300].reduce(
      (track, at) =>
        recordHeartbeatRead(track, {
          startedAtMs: at,
          endedAtMs: at + 20,
          newestMs: 9900,
          failingSinceMs: 10_200,
        }),
      before,
    );
    const evidence = heartbeatEvidence(during, 10_200);
    expect(evidence).toEqual({ heartbeatsSeen: true, heartbeatAgeMs: 12_300 - 9900, sinceArrivalMs: null });
    expect(decideFailover(input({ ...evidence })).decision).toBe('go');
  });

  it('a cut-off client: MM2 keeps delivering, so the heartbeats stay fresh and arrivals are seen', () => {
    const track = reads(5000, [5100, 4900], [5600, 5500], [6100, 6000], [6600, 6500]);
    const evidence = heartbeatEvidence(track, 5000);
    expect(evidence.heartbeatAgeMs).toBe(100);
    expect(evidence.sinceArrivalMs).toBe(0);
    expect(decideFailover(input({ ...evidence })).reason).toBe('heartbeats-fresh');
  });

  it('a lagging flow: old heartbeats that still arrive hold, until none has arrived for silenceMs', () => {
    // 10 s of lag: every heartbeat is 10 s old when it lands, yet they land.
    const track = reads(20_000, [20_100, 10_000], [21_100, 11_000], [22_100, 12_000]);
    const evidence = heartbeatEvidence(track, 20_000);
    expect(evidence.heartbeatAgeMs).toBe(10_100);
    // The last arrival was seen by the read that ended at 22_120: no silence proven after it yet.
    expect(evidence.sinceArrivalMs).toBe(0);
    expect(decideFailover(input({ ...evidence })).reason).toBe('heartbeats-arriving');
    // The flow stops: reads see nothing newer; silence counts from the end of the last read that
    // saw an arrival.
    const later = [23_100, 24_100].reduce(
      (t, at) =>
        recordHeartbeatRead(t, {
          startedAtMs: at,
          endedAtMs: at + 20,
          newestMs: 12_000,
          failingSinceMs: 20_000,
        }),
      track,
    );
    expect(heartbeatEvidence(later, 20_000).sinceArrivalMs).toBe(24_100 - 22_120);
    expect(decideFailover(input({ ...heartbeatEvidence(later, 20_000) })).decision).toBe('hold');
    const silent = recordHeartbeatRead(later, {
      startedAtMs: 24_200,
      endedAtMs: 24_220,
      newestMs: 12_000,
      failingSinceMs: 20_000,
    });
    expect(decideFailover(input({ ...heartbeatEvidence(silent, 20_000) })).decision).toBe('go');
  });

  it('a heartbeat first seen by the first read of the outage may predate it: not counted as an arrival', () => {
    const track = reads(10_200, [9000, 8900], [10_300, 9900]);
    expect(heartbeatEvidence(track, 10_200).sinceArrivalMs).toBeNull();
  });

  it('an arrival from an earlier outage, or a reading from before this one, is not evidence now', () => {
    const first = reads(1000, [1100, 1000], [1600, 1500]);
    expect(heartbeatEvidence(first, 1000).sinceArrivalMs).toBe(0);
    // The primary answered, then failed again from 9000: the old arrival and the old read are moot.
    expect(heartbeatEvidence(first, 9000)).toEqual({
      heartbeatsSeen: true,
      heartbeatAgeMs: null,
      sinceArrivalMs: null,
    });
    expect(heartbeatEvidence(first, null).heartbeatAgeMs).toBeNull();
  });

  it('a flow without heartbeats: reads succeed but find none, so the guard cannot tell', () => {
    const track = reads(1000, [1100, null], [1600, null]);
    const evidence = heartbeatEvidence(track, 1000);
    expect(evidence).toEqual({ heartbeatsSeen: false, heartbeatAgeMs: null, sinceArrivalMs: null });
    expect(decideFailover(input({ ...evidence })).reason).toBe('no-heartbeats');
    expect(heartbeatEvidence(UNREAD_TRACK, 1000).heartbeatsSeen).toBe(false);
  });

  it('keeps the newest heartbeat it ever saw when a read finds none (the topic was emptied)', () => {
    const track = reads(1000, [1100, 900], [1600, null]);
    expect(heartbeatEvidence(track, 1000)).toEqual({
      heartbeatsSeen: true,
      heartbeatAgeMs: 700,
      sinceArrivalMs: null,
    });
  });
});

describe('silentEnoughAtMs: when a read could first prove the silence', () => {
  it('is silenceMs after the newest heartbeat, or after the last arrival seen in this outage', () => {
    const dead = reads(10_200, [10_300, 9900], [10_800, 9900]);
    expect(silentEnoughAtMs(dead, 10_200, 2000)).toBe(11_900);
    // A read beginning then shows exactly the silence the rule asks for.
    const proven = recordHeartbeatRead(dead, {
      startedAtMs: 11_900,
      endedAtMs: 11_920,
      newestMs: 9900,
      failingSinceMs: 10_200,
    });
    expect(decideFailover(input({ ...heartbeatEvidence(proven, 10_200) })).decision).toBe('go');
    // Lagging: the arrival seen at 22_120 is later than the newest heartbeat's own timestamp.
    const lagging = reads(20_000, [20_100, 10_000], [21_100, 11_000], [22_100, 12_000]);
    expect(silentEnoughAtMs(lagging, 20_000, 2000)).toBe(24_120);
    // An arrival from an earlier outage does not push it out.
    expect(silentEnoughAtMs(lagging, 30_000, 2000)).toBe(14_000);
    expect(silentEnoughAtMs(UNREAD_TRACK, 1000, 2000)).toBeNull();
  });
});

describe('resolveSplitBrainGuard', () => {
  it('is on by default with silenceMs twice MM2 heartbeat interval, and off only when asked', () => {
    expect(DEFAULT_SILENCE_MS).toBe(2000);
    expect(resolveSplitBrainGuard(undefined)).toEqual({ silenceMs: 2000 });
    expect(resolveSplitBrainGuard(true)).toEqual({ silenceMs: 2000 });
    expect(resolveSplitBrainGuard({})).toEqual({ silenceMs: 2000 });
    expect(resolveSplitBrainGuard({ silenceMs: 5000 })).toEqual({ silenceMs: 5000 });
    expect(resolveSplitBrainGuard(false)).toBeNull();
  });

  it('refuses a silence that is not a positive number of ms, naming the field', () => {
    for (const silenceMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = (() => {
        try {
          resolveSplitBrainGuard({ silenceMs });
        } catch (thrown) {
          return thrown;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(MirrorKitClientError);
      expect((error as MirrorKitClientError).code).toBe('CLIENT_CONFIG_INVALID');
      expect((error as MirrorKitClientError).field).toBe('splitBrainGuard.silenceMs');
    }
    // From JavaScript, where the type does not stop it.
    expect(() => resolveSplitBrainGuard('on' as unknown as boolean)).toThrow(/splitBrainGuard/);
  });
});

describe('FailoverHold', () => {
  it('reports a hold once, again only when its reason or target changes, and forgets it on release', () => {
    const hold = new FailoverHold();
    expect(hold.held).toBe(false);
    expect(hold.hold('us-west', 'heartbeats-fresh')).toBe(true);
    expect(hold.hold('us-west', 'heartbeats-fresh')).toBe(false);
    expect(hold.held).toBe(true);
    expect(hold.hold('us-west', 'heartbeats-arriving')).toBe(true);
    expect(hold.hold('eu-central', 'heartbeats-arriving')).toBe(true);
    hold.release();
    expect(hold.held).toBe(false);
    expect(hold.hold('eu-central', 'heartbeats-arriving')).toBe(true);
  });

  it('holds quietly for patienceMs at first, then reports; never quiet again once reported', () => {
    const hold = new FailoverHold();
    expect(hold.holdQuietly(1000, 2000)).toBe(true);
    expect(hold.held).toBe(true);
    expect(hold.holdQuietly(2999, 2000)).toBe(true);
    expect(hold.holdQuietly(3000, 2000)).toBe(false);
    expect(hold.hold('us-west', 'heartbeats-fresh')).toBe(true);
    // A change of reason after the first report is news at once.
    expect(hold.holdQuietly(3100, 2000)).toBe(false);
    expect(hold.hold('us-west', 'heartbeats-arriving')).toBe(true);
    hold.release();
    expect(hold.held).toBe(false);
    // A new hold has its own patience.
    expect(hold.holdQuietly(20_000, 2000)).toBe(true);
  });
});
