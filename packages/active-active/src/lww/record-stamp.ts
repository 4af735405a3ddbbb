import { ORIGIN_HEADER, stampOrigin, tryParseRegionKey } from '@mirrorkit/core';
import type { IHeaders } from 'kafkajs';
import {
  formatStamp,
  type HlcStamp,
  type HybridLogicalClock,
  parseStamp,
  parseStampBytes,
} from './hybrid-logical-clock.js';

/** Header carrying the HLC stamp of a write (`1732471234567.3@us-east`). */
export const HLC_HEADER = 'mirrorkit-hlc';
export { ORIGIN_HEADER };

/** A message as kafkajs's `send` takes it. */
export interface OutgoingMessage {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: IHeaders;
  partition?: number;
  timestamp?: string;
}

/**
 * Stamps an outgoing message for active-active: a region-prefixed key (`us-east:<id>`, a new UUID
 * when the message has no key; an existing key is prefixed unless it already is a region key), the
 * clock's next HLC stamp and the origin region as headers.
 *
 * @example
 * ```ts
 * await producer.send({ topic: 'orders', messages: [stampMessage({ value: '…' }, clock)] });
 * ```
 */
export function stampMessage<M extends OutgoingMessage>(
  message: M,
  clock: HybridLogicalClock,
): M & { key: string; headers: IHeaders } {
  const stamped = stampOrigin(message, clock.region);
  return { ...stamped, headers: { ...stamped.headers, [HLC_HEADER]: formatStamp(clock.now()) } };
}

function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const first = Array.isArray(raw) ? raw[0] : raw;
  return first === undefined ? undefined : first.toString();
}

/** The HLC stamp in a record's headers; null when absent. Throws `CLOCK_INVALID_STAMP` when malformed. */
export function readStamp(headers: IHeaders | undefined): HlcStamp | null {
  const raw = headers?.[HLC_HEADER];
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (first === undefined) return null;
  return typeof first === 'string' ? parseStamp(first) : parseStampBytes(first);
}

/** The origin region in a record's headers, else the region prefix of its key; null if neither. */
export function readOrigin(
  headers: IHeaders | undefined,
  key: Buffer | string | null | undefined,
): string | null {
  return headerText(headers, ORIGIN_HEADER) ?? tryParseRegionKey(key ?? null)?.region ?? null;
}
