/** What a copied record carries, as kafkajs hands it over. */
export interface SourceRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
  readonly headers?: Record<string, unknown>;
}

/**
 * Payload bytes per produce request: well under the broker's default message.max.bytes (1 MiB), as
 * one request per fetched batch could exceed it (a 1 MiB fetch of 1 KiB records already does).
 */
export const CHUNK_BYTES = 512 * 1024;

/** Record framing, roughly, on top of key, value and headers. */
const FRAMING_BYTES = 70;

/** Key, value and header bytes of one record. */
export function recordBytes(m: Pick<SourceRecord, 'key' | 'value' | 'headers'>): number {
  let bytes = (m.key?.length ?? 0) + (m.value?.length ?? 0);
  for (const [name, value] of Object.entries(m.headers ?? {})) {
    bytes += name.length;
    for (const v of Array.isArray(value) ? value : [value])
      bytes += (v as Buffer | string | undefined)?.length ?? 0;
  }
  return bytes;
}

/** The end (exclusive) of the chunk starting at `from`: at least one record, else up to `maxBytes`. */
export function chunkEnd(records: readonly SourceRecord[], from: number, maxBytes = CHUNK_BYTES): number {
  let to = from;
  let bytes = 0;
  while (to < records.length && (to === from || bytes < maxBytes)) {
    bytes += recordBytes(records[to] as SourceRecord) + FRAMING_BYTES;
    to++;
  }
  return to;
}
