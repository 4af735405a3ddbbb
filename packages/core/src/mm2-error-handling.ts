import { MirrorKitConfigError } from './config-error.js';
import { configDefBoolean, configDefInteger, javaTrim } from './kafka-config-values.js';
import type { Mm2PropertyNote } from './mm2-property-notes.js';

/** Where a replicator writes the records it skips (Connect's `errors.deadletterqueue.*`). */
export interface DeadLetterQueueConfig {
  /** On the flow's target cluster. */
  readonly topic: string;
  /** -1 is the target broker's default. */
  readonly replicationFactor: number;
  /** Connect's `__connect.errors.*` headers (topic, partition, offset, exception) on each record. */
  readonly contextHeaders: boolean;
}

/** What a flow does with a record its target never accepts (Connect's `errors.*` keys). */
export interface ErrorHandlingConfig {
  /** `none`: the record's partition stops there and is reported; `all`: the record is skipped. */
  readonly tolerance: 'none' | 'all';
  /** Null when `errors.deadletterqueue.topic.name` is empty (Connect's default). */
  readonly deadLetterQueue: DeadLetterQueueConfig | null;
}

/**
 * Reads Connect's error-handling keys of one flow, already type-checked by the key catalog. A dead
 * letter queue under `errors.tolerance = none` gets a note: Connect writes to it only when the
 * record is tolerated, so it never receives anything.
 */
export function resolveErrorHandling(
  settings: ReadonlyMap<string, string>,
  where: (name: string) => { key: string; line?: number },
  pair: string,
): { errors: ErrorHandlingConfig; notes: Mm2PropertyNote[] } {
  const tolerance =
    javaTrim(settings.get('errors.tolerance') ?? 'none').toLowerCase() === 'all' ? 'all' : 'none';
  const topic = javaTrim(settings.get('errors.deadletterqueue.topic.name') ?? '');
  const notes: Mm2PropertyNote[] = [];
  let deadLetterQueue: DeadLetterQueueConfig | null = null;
  if (topic !== '') {
    // Kafka's Topic.validate: the target would refuse to create it, at the first skipped record.
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(topic) || topic === '.' || topic === '..') {
      const at = where('errors.deadletterqueue.topic.name');
      throw new MirrorKitConfigError(
        'CONFIG_INVALID_VALUE',
        `${at.key} = "${topic}" is not a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -, not . or ..)`,
        at,
      );
    }
    const rf = configDefInteger(
      settings.get('errors.deadletterqueue.topic.replication.factor') ?? '3',
      'short',
    );
    deadLetterQueue = {
      topic,
      replicationFactor: Number(rf ?? 3n),
      contextHeaders:
        configDefBoolean(settings.get('errors.deadletterqueue.context.headers.enable') ?? '') === true,
    };
    const at = where('errors.deadletterqueue.topic.name');
    notes.push({
      key: at.key,
      line: at.line,
      severity: 'warning',
      message:
        tolerance === 'all'
          ? `${at.key} = "${topic}": records of ${pair} the target refuses for good are skipped and written to ${topic} on the target`
          : `${at.key} = "${topic}" has no effect for ${pair}: errors.tolerance is none, so a record the target refuses stops its partition and is never skipped`,
      mm2Differs:
        "MM2's source connectors ignore dead letter queue settings (Connect has them for sink connectors only)",
    });
  }
  return { errors: { tolerance, deadLetterQueue }, notes };
}
