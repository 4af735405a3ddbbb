import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MirrorKitClockError } from '../errors.js';
import {
  type ClockSkewEvent,
  compareStamps,
  formatStamp,
  type HlcStamp,
  HybridLogicalClock,
  parseStamp,
  parseStampBytes,
} from './hybrid-logical-clock.js';

describe('HybridLogicalClock', () => {
  it('follows the physical clock when it moves forward', () => {
    let physical = 1000;
    const clock = new HybridLogicalClock({ region: 'us-east', now: () => physical });
    expect(clock.now()).toEqual({ wallMs: 1000, counter: 0, region: 'us-east' });
    expect(clock.now()).toEqual({ wallMs: 1000, counter: 1, region: 'us-east' });
    physical = 1005;
    expect(clock.now()).toEqual({ wallMs: 1005, counter: 0, region: 'us-east' });
    physical = 900;
    expect(clock.now()).toEqual({ wallMs: 1005, counter: 1, region: 'us-east' });
  });

  it('orders a local write after every stamp it received, even from a clock far ahead', () => {
    const clock = new HybridLogicalClock({ region: 'us-west', now: () => 1000, maxSkewMs: 10_000 });
    const remote: HlcStamp = { wallMs: 5000, counter: 7, region: 'us-east' };
    clock.receive(remote);
    expect(compareStamps(clock.now(), remote)).toBeGreaterThan(0);
  });

  it('is monotonic and causal under any physical clock sequence and any received stamps', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('tick' as const), physical: fc.integer({ min: 0, max: 10_000 }) }),
      fc.record({
        kind: fc.constant('receive' as const),
        physical: fc.integer({ min: 0, max: 10_000 }),
        wallMs: fc.integer({ min: 0, max: 10_500 }),
        counter: fc.integer({ min: 0, max: 0xffff }),
        region: fc.constantFrom('us-east', 'eu-west'),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        let physical = 0;
        const clock = new HybridLogicalClock({
          region: 'us-west',
          now: () => physical,
          maxSkewMs: 1_000_000,
        });
        let previous: HlcStamp | null = null;
        for (const o of ops) {
          physical = o.physical;
          let stamp: HlcStamp;
          if (o.kind === 'tick') stamp = clock.now();
          else {
            const remote = { wallMs: o.wallMs, counter: o.counter, region: o.region };
            stamp = clock.receive(remote);
            // Causality: the clock is now past what it received.
            expect(compareStamps(clock.now(), remote)).toBeGreaterThan(0);
            stamp = clock.last;
          }
          if (previous) expect(compareStamps(stamp, previous)).toBeGreaterThan(0);
          // Never runs behind the physical clock.
          expect(stamp.wallMs).toBeGreaterThanOrEqual(physical);
          previous = stamp;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reports skew beyond the bound and, with reject, refuses it without moving', () => {
    const events: ClockSkewEvent[] = [];
    const reporting = new HybridLogicalClock({ region: 'us-west', now: () => 1000, maxSkewMs: 500 });
    reporting.on('skew', (e) => events.push(e));
    reporting.receive({ wallMs: 1400, counter: 0, region: 'us-east' });
    expect(events).toHaveLength(0);
    reporting.receive({ wallMs: 2000, counter: 0, region: 'us-east' });
    expect(events).toEqual([expect.objectContaining({ skewMs: 1000, maxSkewMs: 500, action: 'report' })]);
    expect(reporting.last.wallMs).toBe(2000);

    const rejecting = new HybridLogicalClock({
      region: 'us-west',
      now: () => 1000,
      maxSkewMs: 500,
      onSkew: 'reject',
    });
    rejecting.on('skew', (e) => events.push(e));
    rejecting.now();
    expect(() => rejecting.receive({ wallMs: 9000, counter: 0, region: 'us-east' })).toThrow(
      expect.objectContaining({ code: 'CLOCK_SKEW' }),
    );
    expect(rejecting.last.wallMs).toBe(1000);
    expect(events.at(-1)?.action).toBe('reject');
  });

  it('borrows the next ms instead of wrapping the counter', () => {
    const clock = new HybridLogicalClock({ region: 'r', now: () => 0 });
    clock.receive({ wallMs: 0, counter: 0xffff, region: 'q' });
    expect(clock.last).toEqual({ wallMs: 1, counter: 0, region: 'r' });
  });

  it('formats and parses stamps, refusing malformed ones', () => {
    const stamp = { wallMs: 1732471234567, counter: 3, region: 'us-east' };
    expect(formatStamp(stamp)).toBe('1732471234567.3@us-east');
    expect(parseStamp('1732471234567.3@us-east')).toEqual(stamp);
    for (const bad of ['', '1.2', '1.2@', 'x.1@r', '1.99999@r', '1.2@a@b', '-1.0@r', '1.0@a b'])
      expect(() => parseStamp(bad)).toThrow(MirrorKitClockError);
    expect(() => new HybridLogicalClock({ region: 'a:b' })).toThrow(MirrorKitClockError);
    expect(() =>
      new HybridLogicalClock({ region: 'r' }).receive({ wallMs: -1, counter: 0, region: 'q' }),
    ).toThrow(MirrorKitClockError);
  });

  it('parses a stamp from header bytes exactly as from their text: same stamp, same error', () => {
    const outcome = (parse: () => HlcStamp) => {
      try {
        return { stamp: parse() };
      } catch (error) {
        return {
          error: error instanceof MirrorKitClockError ? `${error.code} ${error.message}` : String(error),
        };
      }
    };
    const digits = (min: number, max: number) =>
      fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
    const region = fc.oneof(
      fc.constantFrom(
        'us-east',
        'eu-west',
        'r',
        'é',
        'a b',
        'a@b',
        'a:b',
        'x\t',
        'x\n',
        'x\v',
        'x\f',
        'x\r',
        'x\u001f',
        'x\u007f',
        'x\u00a0',
        'x\u2028',
        '\u0001',
      ),
      fc.string({ unit: 'binary', minLength: 0, maxLength: 8 }),
    );
    const texts = fc.oneof(
      fc.tuple(digits(0, 18), digits(0, 7), region).map(([w, c, r]) => `${w}.${c}@${r}`),
      fc
        .tuple(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.nat({ max: 0x1ffff }), region)
        .map(([w, c, r]) => `${w}.${c}@${r}`),
      fc.constantFrom(
        '9007199254740991.0@r',
        '9007199254740992.0@r',
        '9999999999999999.65535@r',
        '1.65536@r',
      ),
      fc.string({ unit: 'binary-ascii', maxLength: 30 }),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          texts.map((t) => Buffer.from(t)),
          fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b)),
        ),
        (bytes) => {
          expect(outcome(() => parseStampBytes(bytes))).toEqual(outcome(() => parseStamp(bytes.toString())));
        },
      ),
      { numRuns: 1500 },
    );
  });
});
