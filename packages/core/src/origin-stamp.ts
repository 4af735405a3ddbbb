import { regionKey, tryParseRegionKey } from './region-key.js';

/** Header naming the region where a record was first produced. */
export const ORIGIN_HEADER = 'mirrorkit-origin';

/** The fields of a kafkajs message this helper touches. */
export interface StampableMessage {
  key?: Buffer | string | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

/**
 * Marks an outgoing message with where it was born: a region-prefixed key (`us-east:<id>`; a new
 * UUID when it has no key, an existing non-region key gets the prefix) and the `mirrorkit-origin`
 * header. Consumers downstream of MirrorMaker 2 can then dedup by key and tell the origin even when
 * the topic name no longer does (IdentityReplicationPolicy).
 *
 * @example
 * ```ts
 * await producer.send({ topic: 'orders', messages: [stampOrigin({ key: 'order-1', value }, 'us-east')] });
 * ```
 */
export function stampOrigin<M extends StampableMessage>(
  message: M,
  region: string,
): M & { key: string; headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> } {
  const existing = message.key === undefined || message.key === null ? null : message.key.toString();
  const key =
    existing === null
      ? regionKey(region)
      : tryParseRegionKey(existing) !== null
        ? existing
        : regionKey(region, existing);
  return { ...message, key, headers: { ...message.headers, [ORIGIN_HEADER]: region } };
}
