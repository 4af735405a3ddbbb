/**
 * What a failed send to the target means for the records in it:
 * - `record`: the target refuses these records for good (too old or too new a timestamp, too
 *   large, invalid); sent again they fail again, so one of them must be isolated and handled by
 *   `errors.tolerance`;
 * - `partition`: the target refuses the whole topic until someone acts (authorization, policy):
 *   the partition stops and is reported, whatever the tolerance, because skipping would drop
 *   every record;
 * - `producer`: the producer's own state is broken (sequence, epoch, fenced): a new producer
 *   fixes it, then the batch is copied again;
 * - `retry`: anything else, retried as it is.
 */
export type ProduceErrorKind = 'record' | 'partition' | 'producer' | 'retry';

const RECORD = new Set([
  'INVALID_TIMESTAMP',
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
]);
const PARTITION = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'POLICY_VIOLATION',
]);
const PRODUCER = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_ID_MAPPING',
  'DUPLICATE_SEQUENCE_NUMBER',
]);

/**
 * The broker's error name inside a kafkajs error: kafkajs wraps the protocol error (which has a
 * `type`) in retry errors through `cause`, and several brokers' errors in `errors`.
 */
export function protocolErrorType(error: unknown, depth = 0): string | null {
  if (depth > 6 || typeof error !== 'object' || error === null) return null;
  const e = error as { type?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.type === 'string' && e.type !== 'UNKNOWN') return e.type;
  const fromCause = protocolErrorType(e.cause, depth + 1);
  if (fromCause) return fromCause;
  if (Array.isArray(e.errors))
    for (const inner of e.errors) {
      const found = protocolErrorType(inner, depth + 1);
      if (found) return found;
    }
  return null;
}

/** How the copy loop handles `error` from a send to the target. */
export function produceErrorKind(error: unknown): ProduceErrorKind {
  const type = protocolErrorType(error);
  if (type === null) return 'retry';
  if (RECORD.has(type)) return 'record';
  if (PARTITION.has(type)) return 'partition';
  if (PRODUCER.has(type)) return 'producer';
  return 'retry';
}
