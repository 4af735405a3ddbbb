/** What a drill observed, as record ids (the region-prefixed keys), before it is judged. */
export interface DrillObservations {
  /** Ids acknowledged by the source cluster before it died. */
  readonly ackedOnSource: ReadonlySet<string>;
  /** Ids present in the remote topic on the DR cluster (replicated before the crash). */
  readonly replicated: ReadonlySet<string>;
  /** Ids acknowledged by the DR cluster (written there after the producer failed over). */
  readonly ackedOnTarget: ReadonlySet<string>;
  /** How many times the consumer processed each id. */
  readonly deliveries: ReadonlyMap<string, number>;
}

/** The verdict of a drill, in record counts. */
export interface DrillAccounting {
  readonly produced: number;
  /** Acknowledged on the source but never replicated: gone with the source cluster (the RPO). */
  readonly lostWithSource: number;
  /** Could have been consumed after failover (on the DR cluster) but never was. Must be 0. */
  readonly skipped: number;
  /** Distinct ids processed. */
  readonly consumed: number;
  /** Extra deliveries of ids already processed (replays after failover, producer retries). */
  readonly duplicates: number;
  /** A few skipped ids, for the report. */
  readonly skippedExamples: readonly string[];
}

/**
 * Judges a drill: every id that reached the DR cluster (replicated or written there) must have
 * been processed; ids acknowledged on the source but not replicated are the RPO, not a skip,
 * unless the consumer had processed them before the crash.
 */
export function accountDrill(observed: DrillObservations): DrillAccounting {
  const produced = new Set([...observed.ackedOnSource, ...observed.ackedOnTarget]);
  let lostWithSource = 0;
  for (const id of observed.ackedOnSource) if (!observed.replicated.has(id)) lostWithSource++;
  const skippedIds: string[] = [];
  const mustSee = new Set([...observed.replicated, ...observed.ackedOnTarget]);
  for (const id of mustSee) if (!observed.deliveries.has(id)) skippedIds.push(id);
  let duplicates = 0;
  for (const count of observed.deliveries.values()) duplicates += Math.max(0, count - 1);
  return {
    produced: produced.size,
    lostWithSource,
    skipped: skippedIds.length,
    consumed: observed.deliveries.size,
    duplicates,
    skippedExamples: skippedIds.slice(0, 5),
  };
}
