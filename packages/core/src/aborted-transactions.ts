/** A record of a fetch response as kafkajs decodes it (only what aborted-transaction filtering reads). */
export interface FetchedRecord {
  readonly offset: string;
  readonly isControlRecord?: boolean;
  readonly batchContext?: { readonly producerId: string };
}

/** An aborted transaction as a fetch response lists it: its producer and first offset. */
export interface AbortedTransaction {
  readonly producerId: string;
  readonly firstOffset: string;
}

/**
 * Rewrites a fetch response's aborted transactions so that kafkajs's read_committed filter drops
 * exactly the records of aborted transactions.
 *
 * Why: kafkajs (2.2) walks the records and starts ignoring a producer when a record's offset
 * reaches the first offset of the next aborted transaction in the list — one transaction per
 * record. When a fetch begins inside two or more aborted transactions (several producers writing
 * one partition, a fetch starting after their first records), the first records are checked
 * before their transactions are switched on, and records of aborted transactions reach the
 * application: a consumer handles records that were never committed, a replicator copies them, a
 * seen-key restore believes keys handled that were not (and would skip their records). Kafka's
 * own consumer switches on every aborted transaction begun at or before a batch.
 *
 * The rewrite keeps Kafka's rule and fits kafkajs's walk: each aborted transaction still open at
 * `fetchOffset` or begun after it is listed once, at the first record of its producer the walk
 * sees (offset ≥ `fetchOffset`: kafkajs drops the records below before filtering), in offset
 * order, so every record the walk reaches finds at most one transaction due, its own. Transactions
 * of which no record is left to see are dropped.
 */
export function alignAbortedTransactions(
  records: readonly FetchedRecord[],
  aborted: readonly AbortedTransaction[],
  fetchOffset: bigint,
): AbortedTransaction[] {
  if (aborted.length === 0) return [];
  // Per producer, the first offsets of its aborted transactions, ascending (one at a time each).
  const starts = new Map<string, bigint[]>();
  for (const { producerId, firstOffset } of aborted) {
    const list = starts.get(producerId) ?? [];
    list.push(BigInt(firstOffset));
    starts.set(producerId, list);
  }
  for (const list of starts.values()) list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // Producers inside an aborted transaction at records the walk does not see (below fetchOffset).
  const openBelow = new Set<string>();
  const aligned: AbortedTransaction[] = [];
  for (const record of records) {
    const producerId = record.batchContext?.producerId;
    if (producerId === undefined) continue;
    const offset = BigInt(record.offset);
    const list = starts.get(producerId);
    let begun = false;
    while (list !== undefined && list.length > 0 && (list[0] as bigint) <= offset) {
      list.shift();
      begun = true;
    }
    if (offset < fetchOffset) {
      if (begun) openBelow.add(producerId);
      // A marker ends the producer's transaction: what follows it is another one.
      if (record.isControlRecord) openBelow.delete(producerId);
      continue;
    }
    const wasOpen = openBelow.delete(producerId);
    if (begun || wasOpen) aligned.push({ producerId, firstOffset: record.offset });
  }
  return aligned;
}
