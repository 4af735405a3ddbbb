/** Upper bounds (ms) of the replication-latency histogram buckets. */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

const labelText = (labels: Readonly<Record<string, string | number>>): string => {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${String(v).replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`,
  );
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
};

/**
 * The replicator's metrics, rendered in Prometheus text format: counters of records and bytes,
 * a latency histogram (record timestamp → acknowledged on the target), and gauges for lag and
 * the age of the newest checkpoint and heartbeat, all labelled by flow.
 */
export class ReplicatorMetrics {
  readonly #counters = new Map<string, Map<string, number>>();
  readonly #gauges = new Map<string, Map<string, number>>();
  readonly #histograms = new Map<string, Histogram>();
  readonly #help = new Map<string, [string, string]>([
    ['mirrorkit_replicator_records_total', ['counter', 'Records written to the target cluster.']],
    [
      'mirrorkit_replicator_bytes_total',
      ['counter', 'Key, value and header bytes written to the target cluster.'],
    ],
    [
      'mirrorkit_replicator_compressed_bytes_total',
      ['counter', 'Bytes of the compressed batches sent to the target (every attempt), by codec.'],
    ],
    [
      'mirrorkit_replicator_compression_saved_bytes_total',
      ['counter', 'Record bytes the target codec saved: uncompressed minus compressed, by codec.'],
    ],
    ['mirrorkit_replicator_offset_syncs_total', ['counter', 'Offset syncs emitted.']],
    ['mirrorkit_replicator_checkpoints_total', ['counter', 'Checkpoints emitted.']],
    [
      'mirrorkit_replicator_checkpoints_exact_total',
      [
        'counter',
        'Checkpoints translated exactly from the copies this process made (the rest: offset syncs).',
      ],
    ],
    ['mirrorkit_replicator_heartbeats_total', ['counter', 'Heartbeats emitted.']],
    [
      'mirrorkit_replicator_restarts_total',
      ['counter', 'Restarts of a copy loop that crashed on an error kafkajs does not recover from.'],
    ],
    ['mirrorkit_replicator_errors_total', ['counter', 'Errors by kind (each is retried).']],
    [
      'mirrorkit_replicator_skipped_records_total',
      [
        'counter',
        'Records the target refused for good, skipped under errors.tolerance = all, by source topic.',
      ],
    ],
    [
      'mirrorkit_replicator_dead_letters_total',
      ['counter', 'Skipped records written to the dead letter queue (errors.deadletterqueue.topic.name).'],
    ],
    [
      'mirrorkit_replicator_stopped_partitions',
      ['gauge', 'Source partitions stopped at a record the target refuses or a batch that does not decode.'],
    ],
    ['mirrorkit_replicator_record_lag', ['gauge', 'Records on the source partition not yet replicated.']],
    ['mirrorkit_replicator_checkpoint_age_seconds', ['gauge', 'Seconds since the last checkpoint emission.']],
    ['mirrorkit_replicator_heartbeat_age_seconds', ['gauge', 'Seconds since the last heartbeat emission.']],
    [
      'mirrorkit_replicator_latency_ms',
      ['histogram', 'Record timestamp to acknowledgement by the target, ms.'],
    ],
  ]);

  inc(name: string, labels: Readonly<Record<string, string | number>>, by = 1): void {
    const series = this.#counters.get(name) ?? new Map<string, number>();
    this.#counters.set(name, series);
    const key = labelText(labels);
    series.set(key, (series.get(key) ?? 0) + by);
  }

  set(name: string, labels: Readonly<Record<string, string | number>>, value: number): void {
    const series = this.#gauges.get(name) ?? new Map<string, number>();
    this.#gauges.set(name, series);
    series.set(labelText(labels), value);
  }

  /** Adds latency observations for one flow. */
  observeLatency(labels: Readonly<Record<string, string>>, ms: number): void {
    const key = labelText(labels);
    let h = this.#histograms.get(key);
    if (!h) {
      h = { counts: new Array<number>(LATENCY_BUCKETS_MS.length).fill(0), sum: 0, count: 0 };
      this.#histograms.set(key, h);
    }
    // Buckets are cumulative, as Prometheus expects: each counts observations at or below its bound.
    for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) {
      if (ms <= (LATENCY_BUCKETS_MS[i] as number)) h.counts[i] = (h.counts[i] ?? 0) + 1;
    }
    h.sum += ms;
    h.count++;
  }

  /** A counter's value (for tests and logs). */
  counter(name: string, labels: Readonly<Record<string, string | number>>): number {
    return this.#counters.get(name)?.get(labelText(labels)) ?? 0;
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const lines: string[] = [];
    const header = (name: string): void => {
      const [type, help] = this.#help.get(name) ?? ['untyped', name];
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    for (const [name, series] of [...this.#counters, ...this.#gauges]) {
      header(name);
      for (const [labels, value] of series) lines.push(`${name}${labels} ${value}`);
    }
    if (this.#histograms.size > 0) {
      const name = 'mirrorkit_replicator_latency_ms';
      header(name);
      for (const [labels, h] of this.#histograms) {
        const inner = labels.slice(1, -1);
        const withLe = (le: string): string => `{${inner ? `${inner},` : ''}le="${le}"}`;
        LATENCY_BUCKETS_MS.forEach((bound, i) => {
          lines.push(`${name}_bucket${withLe(String(bound))} ${h.counts[i]}`);
        });
        lines.push(
          `${name}_bucket${withLe('+Inf')} ${h.count}`,
          `${name}_sum${labels} ${h.sum}`,
          `${name}_count${labels} ${h.count}`,
        );
      }
    }
    return `${lines.join('\n')}\n`;
  }
}
