import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AbortedTransaction, alignAbortedTransactions } from './aborted-transactions.js';

// kafkajs's own read_committed filter: the rewrite is judged by what it then lets through.
type Message = {
  offset: string;
  key: Buffer | null;
  isControlRecord: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
};
const kafkajsFilter = createRequire(import.meta.url)(
  'kafkajs/src/consumer/filterAbortedMessages.js',
) as (args: { messages: Message[]; abortedTransactions: AbortedTransaction[] }) => Message[];

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);

/** One partition's log: each producer's records in transactions, each ended by its marker. */
interface Entry {
  message: Message;
  txn: string;
  aborted: boolean;
}

function logOf(steps: readonly { producer: number; action: 'write' | 'commit' | 'abort' }[]): Entry[] {
  const log: Entry[] = [];
  const open = new Map<number, string>();
  let txns = 0;
  for (const { producer, action } of steps) {
    const pid = String(producer + 1);
    if (action === 'write') {
      if (!open.has(producer)) open.set(producer, `t${txns++}`);
      log.push({
        message: {
          offset: String(log.length),
          key: Buffer.from('k'),
          isControlRecord: false,
          batchContext: { producerId: pid, inTransaction: true },
        },
        txn: open.get(producer) as string,
        aborted: false,
      });
    } else if (open.has(producer)) {
      const txn = open.get(producer) as string;
      open.delete(producer);
      log.push({
        message: {
          offset: String(log.length),
          key: action === 'abort' ? ABORT : COMMIT,
          isControlRecord: true,
          batchContext: { producerId: pid, inTransaction: true },
        },
        txn,
        aborted: action === 'abort',
      });
      if (action === 'abort') for (const e of log) if (e.txn === txn) e.aborted = true;
    }
  }
  // Transactions still open are left out: a read_committed fetch stops before them (the LSO).
  const firstOpen = Math.min(...[...open.values()].map((t) => log.findIndex((e) => e.txn === t)), log.length);
  return log.slice(0, firstOpen);
}

/** What a broker lists for a fetch of [from, to): aborted transactions overlapping it. */
function abortedListed(log: readonly Entry[], from: number, to: number): AbortedTransaction[] {
  const byTxn = new Map<string, { pid: string; first: number; last: number }>();
  for (const e of log) {
    if (!e.aborted) continue;
    const o = Number(e.message.offset);
    const t = byTxn.get(e.txn) ?? { pid: e.message.batchContext.producerId, first: o, last: o };
    t.last = o;
    byTxn.set(e.txn, t);
  }
  return [...byTxn.values()]
    .filter((t) => t.first < to && t.last >= from)
    .sort((a, b) => a.first - b.first)
    .map((t) => ({ producerId: t.pid, firstOffset: String(t.first) }));
}

function committedAfterFilter(
  log: readonly Entry[],
  rawFrom: number,
  from: number,
  to: number,
  aligned: boolean,
) {
  const raw = log.slice(rawFrom, to).map((e) => e.message);
  const listed = abortedListed(log, from, to);
  const within = raw.filter((m) => Number(m.offset) >= from);
  const aborted = aligned ? alignAbortedTransactions(raw, listed, BigInt(from)) : listed;
  return kafkajsFilter({ messages: within, abortedTransactions: aborted })
    .filter((m) => !m.isControlRecord)
    .map((m) => Number(m.offset));
}

const expected = (log: readonly Entry[], from: number, to: number) =>
  log
    .slice(from, to)
    .filter((e) => !e.aborted && !e.message.isControlRecord)
    .map((e) => Number(e.message.offset));

describe('alignAbortedTransactions', () => {
  it('lets kafkajs drop records of two aborted transactions a fetch begins inside (kafkajs alone lets one through)', () => {
    const log = logOf([
      { producer: 0, action: 'write' },
      { producer: 1, action: 'write' },
      { producer: 1, action: 'write' },
      { producer: 0, action: 'write' },
      { producer: 1, action: 'write' },
      { producer: 0, action: 'abort' },
      { producer: 1, action: 'abort' },
      { producer: 2, action: 'write' },
      { producer: 2, action: 'commit' },
    ]);
    // The fetch starts at offset 2 (producer 2's record), inside both aborted transactions.
    expect(committedAfterFilter(log, 2, 2, log.length, false)).toContain(2);
    expect(committedAfterFilter(log, 2, 2, log.length, true)).toEqual(expected(log, 2, log.length));
    expect(expected(log, 2, log.length)).toEqual([7]);
  });

  it('drops exactly the aborted records for any interleaving of producers and any fetch range', () => {
    const step = fc.record({
      producer: fc.integer({ min: 0, max: 3 }),
      action: fc.constantFrom<'write' | 'commit' | 'abort'>('write', 'write', 'write', 'commit', 'abort'),
    });
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 60 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (steps, a, b, c) => {
          const log = logOf(steps);
          if (log.length === 0) return;
          const rawFrom = a % log.length;
          const fetchFrom = rawFrom + (b % (log.length - rawFrom));
          const end = fetchFrom + 1 + (c % (log.length - fetchFrom));
          expect(committedAfterFilter(log, rawFrom, fetchFrom, end, true)).toEqual(
            expected(log, fetchFrom, end),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});
