import { describe, expect, it } from 'vitest';
import { HybridLogicalClock } from './hybrid-logical-clock.js';
import { HLC_HEADER, ORIGIN_HEADER, readOrigin, readStamp, stampMessage } from './record-stamp.js';

describe('stampMessage / readStamp', () => {
  const clock = () => new HybridLogicalClock({ region: 'us-east', now: () => 1000 });

  it('adds a region key, the HLC stamp and the origin, keeping other headers', () => {
    const stamped = stampMessage({ key: 'order-1', value: 'x', headers: { trace: 't1' } }, clock());
    expect(stamped.key).toBe('us-east:order-1');
    expect(stamped.headers).toEqual({
      trace: 't1',
      [HLC_HEADER]: '1000.0@us-east',
      [ORIGIN_HEADER]: 'us-east',
    });
    expect(readStamp(stamped.headers)).toEqual({ wallMs: 1000, counter: 0, region: 'us-east' });
    expect(readOrigin(stamped.headers, null)).toBe('us-east');
  });

  it('keeps an existing region key and mints a UUID when there is none', () => {
    expect(stampMessage({ key: 'us-west:order-2', value: 'x' }, clock()).key).toBe('us-west:order-2');
    expect(stampMessage({ value: 'x' }, clock()).key).toMatch(/^us-east:[0-9a-f-]{36}$/);
  });

  it('reads headers as kafkajs delivers them (Buffers) and tells absent from malformed', () => {
    expect(readStamp({ [HLC_HEADER]: Buffer.from('5.1@eu') })).toEqual({
      wallMs: 5,
      counter: 1,
      region: 'eu',
    });
    expect(readStamp({})).toBeNull();
    expect(() => readStamp({ [HLC_HEADER]: Buffer.from('garbage') })).toThrow(/not an HLC stamp/);
    expect(readOrigin({}, Buffer.from('us-west:9'))).toBe('us-west');
    expect(readOrigin({}, 'plain')).toBeNull();
  });
});
