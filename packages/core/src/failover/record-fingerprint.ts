import { createHash } from 'node:crypto';

/** What a fingerprint covers: the parts of a record MM2 copies unchanged. Shaped like kafkajs's messages. */
export interface FingerprintedRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** kafkajs's decoded headers: a repeated name becomes an array, in the order it was written. */
  readonly headers?: Readonly<Record<string, Buffer | string | (Buffer | string)[] | undefined>>;
  /** Milliseconds since the epoch, as kafkajs gives it (a string) or as a bigint. */
  readonly timestamp: string | bigint;
}

/** Marks commit metadata that carries a fingerprint; the version is part of it. */
export const FINGERPRINT_METADATA_PREFIX = 'mirrorkit-fp1:';

const NULL = Buffer.from([0]);
const PRESENT = Buffer.from([1]);

function field(hash: ReturnType<typeof createHash>, bytes: Buffer | string | null | undefined): void {
  if (bytes === null || bytes === undefined) {
    hash.update(NULL);
    return;
  }
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(buffer.length);
  hash.update(PRESENT).update(length).update(buffer);
}

/**
 * The identity of a record across a MirrorMaker 2 copy: SHA-256 over its timestamp, key, value and
 * headers (length-prefixed, so no two different records encode alike), cut to 128 bits and
 * base64url-encoded (22 characters). The offset is left out on purpose: it is the one thing the
 * copy changes. Header names are taken in sorted order, so the fingerprint does not depend on how a
 * client groups repeated names; the values of one name keep their order.
 */
export function recordFingerprint(record: FingerprintedRecord): string {
  const hash = createHash('sha256');
  const timestamp = Buffer.allocUnsafe(8);
  timestamp.writeBigInt64BE(BigInt(record.timestamp));
  hash.update(timestamp);
  field(hash, record.key);
  field(hash, record.value);
  const headers = record.headers ?? {};
  const names = Object.keys(headers)
    .filter((name) => headers[name] !== undefined)
    .sort();
  const count = Buffer.allocUnsafe(4);
  count.writeUInt32BE(names.length);
  hash.update(count);
  for (const name of names) {
    field(hash, name);
    const value = headers[name];
    const values = Array.isArray(value) ? value : [value];
    const n = Buffer.allocUnsafe(4);
    n.writeUInt32BE(values.length);
    hash.update(n);
    for (const v of values) field(hash, v);
  }
  return hash.digest().subarray(0, 16).toString('base64url');
}

/** A record named by its fingerprint, with its timestamp (where on a copy to start looking). */
export interface RecordIdentity {
  readonly fingerprint: string;
  readonly timestamp: bigint;
}

/**
 * Commit metadata that names the processed record (what MM2 copies into its checkpoints):
 * `mirrorkit-fp1:<fingerprint>@<timestamp>`, 50 characters or fewer (the broker allows 4,096).
 */
export function fingerprintMetadata(record: FingerprintedRecord): string {
  return `${FINGERPRINT_METADATA_PREFIX}${recordFingerprint(record)}@${BigInt(record.timestamp)}`;
}

const METADATA = /^([A-Za-z0-9_-]{22})@(-?\d{1,19})$/;

/** The record named in commit (or checkpoint) metadata; null when it names none, or another version's. */
export function identityFromMetadata(metadata: string | null | undefined): RecordIdentity | null {
  if (typeof metadata !== 'string' || !metadata.startsWith(FINGERPRINT_METADATA_PREFIX)) return null;
  const match = METADATA.exec(metadata.slice(FINGERPRINT_METADATA_PREFIX.length));
  if (!match?.[1] || !match[2]) return null;
  return { fingerprint: match[1], timestamp: BigInt(match[2]) };
}
