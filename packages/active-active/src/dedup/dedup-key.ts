import type { MessagePayload } from './dedup-handler.js';
import { type Fingerprint, fingerprint, fingerprintAscii, keyText } from './key-fingerprint.js';

/**
 * Reads the dedup key of `payload` and writes its fingerprint into `out`. Returns false when the
 * record has no usable key; else the key's text when it had to be made (a `keyOf` key, a string
 * key, a non-ASCII key), or null when an ASCII key was hashed straight from its bytes (the text is
 * then made only if an event or a store needs it: {@link dedupKeyText}).
 *
 * The default key is the record key when it is a region key (`<region>:<id>`, both parts
 * non-empty).
 */
export function readDedupKey<P extends MessagePayload>(
  payload: P,
  keyOf: ((payload: P) => string | null) | undefined,
  out: Fingerprint,
): string | null | false {
  if (keyOf) {
    const key = keyOf(payload);
    if (key === null) return false;
    fingerprint(key, out);
    return key;
  }
  return readRecordKey(payload.message.key, out);
}

/** {@link readDedupKey} without a `keyOf`: the record key `raw` as kafkajs delivers it. */
export function readRecordKey(
  raw: Buffer | string | null | undefined,
  out: Fingerprint,
): string | null | false {
  if (raw === null || raw === undefined) return false;
  if (typeof raw !== 'string' && fingerprintAscii(raw, out)) {
    let colon = 0;
    while (colon < raw.length && raw[colon] !== COLON) colon++;
    return colon === 0 || colon >= raw.length - 1 ? false : null;
  }
  const key = typeof raw === 'string' ? raw : keyText(raw);
  const colon = key.indexOf(':');
  if (colon <= 0 || colon === key.length - 1) return false;
  fingerprint(key, out);
  return key;
}

/** The text of a key {@link readDedupKey} read (null: made now from the record key's bytes). */
export function dedupKeyText(payload: MessagePayload, key: string | null): string {
  return key ?? keyText(payload.message.key as Buffer);
}

const COLON = 0x3a;
