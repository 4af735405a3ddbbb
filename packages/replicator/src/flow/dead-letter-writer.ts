import { type DeadLetterQueueConfig, defaultReplicationFactor, ensureInternalTopic } from '@mirrorkit/core';
import type { Admin, IHeaders, Message } from 'kafkajs';
import type { SourceRecord } from './record-chunks.js';

/** The Java exception Kafka's clients raise for each broker error a record can be refused with. */
const EXCEPTION_CLASS: Readonly<Record<string, string>> = {
  INVALID_TIMESTAMP: 'org.apache.kafka.common.errors.InvalidTimestampException',
  MESSAGE_TOO_LARGE: 'org.apache.kafka.common.errors.RecordTooLargeException',
  RECORD_LIST_TOO_LARGE: 'org.apache.kafka.common.errors.RecordBatchTooLargeException',
  INVALID_RECORD: 'org.apache.kafka.common.errors.InvalidRecordException',
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 'org.apache.kafka.common.errors.UnsupportedForMessageFormatException',
};

/** Where a dead letter came from and why. */
export interface DeadLetterContext {
  readonly topic: string;
  readonly partition: number;
  /** `source->target`: Connect puts the connector's name there. */
  readonly flow: string;
  /** The broker's error name. */
  readonly brokerError: string;
  readonly message: string;
}

/** The header holding a dead letter's own timestamp: the letter is stamped with the time it was written. */
export const ORIGINAL_TIMESTAMP_HEADER = '__mirrorkit.errors.timestamp';

/**
 * The record written to the dead letter queue for `record`: its key, value and headers as they
 * were, stamped now (the original timestamp may be what the target refused; it goes in
 * {@link ORIGINAL_TIMESTAMP_HEADER}), and with `contextHeaders` Connect's `__connect.errors.*`
 * headers as its DeadLetterQueueReporter writes them.
 */
export function deadLetterMessage(
  record: SourceRecord,
  context: DeadLetterContext,
  contextHeaders: boolean,
  now: number,
): Message {
  const headers: IHeaders = { ...(record.headers as IHeaders | undefined) };
  headers[ORIGINAL_TIMESTAMP_HEADER] = record.timestamp;
  if (contextHeaders) {
    headers['__connect.errors.topic'] = context.topic;
    headers['__connect.errors.partition'] = String(context.partition);
    headers['__connect.errors.offset'] = record.offset;
    headers['__connect.errors.connector.name'] = context.flow;
    headers['__connect.errors.task.id'] = '0';
    headers['__connect.errors.stage'] = 'KAFKA_PRODUCE';
    headers['__connect.errors.class.name'] = 'org.apache.kafka.clients.producer.KafkaProducer';
    headers['__connect.errors.exception.class.name'] =
      EXCEPTION_CLASS[context.brokerError] ?? 'org.apache.kafka.common.KafkaException';
    headers['__connect.errors.exception.message'] = `${context.brokerError}: ${context.message}`;
  }
  return { key: record.key, value: record.value, headers, timestamp: String(now) };
}

/**
 * Creates the dead letter topic on the target once, the first time a record goes there: one
 * partition as Connect makes it, default cleanup (a compacted topic would refuse keyless letters).
 */
export class DeadLetterTopic {
  #ready: Promise<void> | null = null;

  constructor(
    readonly config: DeadLetterQueueConfig,
    private readonly targetAdmin: Admin,
  ) {}

  ensure(): Promise<void> {
    this.#ready ??= this.#create().catch((error: unknown) => {
      this.#ready = null;
      throw error;
    });
    return this.#ready;
  }

  async #create(): Promise<void> {
    const rf = this.config.replicationFactor;
    await ensureInternalTopic(this.targetAdmin, this.config.topic, rf < 0 ? defaultReplicationFactor : rf, {
      compacted: false,
    });
  }
}
