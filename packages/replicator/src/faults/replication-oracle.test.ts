import { describe, expect, it } from 'vitest';
import { compareReplication } from './replication-oracle.testing.js';

const ids = (partition: number, ns: number[]): string[] => ns.map((n) => `p${partition}-${n}`);
const topic = (entries: [number, number[]][]): Map<number, string[]> =>
  new Map(entries.map(([p, ns]) => [p, ids(p, ns)]));

describe('compareReplication', () => {
  it('finds nothing wrong in an exact copy', () => {
    const source = topic([
      [0, [0, 1, 2]],
      [1, [0, 1]],
    ]);
    expect(compareReplication(source, source)).toMatchObject({
      lost: 0,
      duplicated: 0,
      reordered: 0,
      extra: 0,
    });
  });

  it('counts a re-copied stretch as duplicates, not as reordering', () => {
    const verdict = compareReplication(topic([[0, [0, 1, 2, 3]]]), topic([[0, [0, 1, 2, 1, 2, 3]]]));
    expect(verdict).toMatchObject({ lost: 0, duplicated: 2, reordered: 0, extra: 0 });
    expect(verdict.examples.duplicated).toEqual(['p0:p0-1', 'p0:p0-2']);
  });

  it('counts what is missing, per partition', () => {
    const verdict = compareReplication(
      topic([
        [0, [0, 1, 2]],
        [1, [0, 1, 2]],
      ]),
      topic([
        [0, [0, 2]],
        [1, [0, 1]],
      ]),
    );
    expect(verdict.lost).toBe(2);
    expect(verdict.partitions.map((p) => p.lost)).toEqual([1, 1]);
    expect(verdict.examples.lost).toEqual(['p0:p0-1', 'p1:p1-2']);
  });

  it('counts a first copy that comes after a later record as reordered', () => {
    const verdict = compareReplication(topic([[0, [0, 1, 2, 3]]]), topic([[0, [0, 2, 1, 3]]]));
    expect(verdict).toMatchObject({ lost: 0, duplicated: 0, reordered: 1 });
    expect(verdict.examples.reordered).toEqual(['p0:p0-1']);
  });

  it('counts a record in the wrong partition as extra there and lost where it belongs', () => {
    const verdict = compareReplication(
      topic([
        [0, [0, 1]],
        [1, [0]],
      ]),
      new Map([
        [0, ['p0-0']],
        [1, ['p1-0', 'p0-1']],
      ]),
    );
    expect(verdict).toMatchObject({ lost: 1, extra: 1, duplicated: 0, reordered: 0 });
  });

  it('counts a whole partition missing on the target, and one the source does not have', () => {
    const verdict = compareReplication(topic([[0, [0, 1]]]), topic([[2, [0]]]));
    expect(verdict).toMatchObject({ lost: 2, extra: 1 });
    expect(verdict.partitions.map((p) => p.partition)).toEqual([0, 2]);
  });

  it('refuses a source whose ids are not unique: the verdict would mean nothing', () => {
    expect(() => compareReplication(new Map([[0, ['a', 'a']]]), new Map())).toThrow(/twice/);
  });
});
