import type { ProducerConfig } from 'kafkajs';
import { MirrorKitClientError } from './client-error.js';

/**
 * The kafkajs settings each of a MirrorKit producer's kafkajs producers is created with:
 * idempotent unless told otherwise, and then with exactly one request in flight per broker.
 *
 * Why one: kafkajs implements idempotence as KIP-98 specified it, where the broker accepts a
 * batch only with the next sequence number of its partition. It lacks what the Java client added
 * in KAFKA-5494 to keep several requests in flight (re-numbering the batches behind a failed one),
 * so with more than one in flight a retried request can land behind a later one, or every request
 * behind it is refused with OUT_OF_ORDER_SEQUENCE_NUMBER (tulios/kafkajs#598, #980). A failover
 * is when retries happen, and per-key order is what the producer promises across it.
 *
 * A setting that contradicts this is refused rather than silently replaced: whoever wrote
 * `maxInFlightRequests: 5` expected pipelining, and should learn here that it is not on offer.
 * `idempotent: false` leaves the setting to the application.
 */
export function producerSettings(config: ProducerConfig = {}): ProducerConfig {
  const idempotent = config.idempotent ?? true;
  if (!idempotent) return { ...config, idempotent };
  const inFlight: unknown = config.maxInFlightRequests;
  // kafkajs reads null as "no limit" and 0 as "never send"; only 1 (or leaving it out) is safe.
  if (inFlight !== undefined && inFlight !== 1) {
    throw new MirrorKitClientError(
      'CLIENT_CONFIG_INVALID',
      `kafkajs.maxInFlightRequests: an idempotent producer allows 1 request in flight, not ` +
        `${String(inFlight)} (kafkajs can reorder or refuse the records of concurrent requests); ` +
        'leave it out, or set idempotent: false',
      { field: 'kafkajs.maxInFlightRequests' },
    );
  }
  return { ...config, idempotent, maxInFlightRequests: 1 };
}
