import type { Message, RecordMetadata, TopicMessages } from 'kafkajs';

/** Sends the records of one chunk to one partition of the target; resolves with their metadata. */
export type PartitionSend = (
  topic: string,
  partition: number,
  messages: Message[],
) => Promise<RecordMetadata[]>;

interface QueuedSend {
  readonly topic: string;
  readonly partition: number;
  readonly messages: Message[];
  readonly resolve: (metadata: RecordMetadata[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Gathers the chunks the partitions copied side by side send at the same time into one produce
 * request, as the Java producer's accumulator does. kafkajs's idempotent producer holds a lock per
 * broker for a whole produce round trip, so separate sends to one broker go one after another: a
 * fetch round's sixth partition waited five round trips for its acknowledgement, and the next
 * fetch waited for it. Each chunk still resolves only with its own partition's acknowledgement.
 *
 * A combined request that fails does not say which partition's records the broker refused (kafkajs
 * throws on the first partition error): each chunk of it is then sent again on its own, so each
 * gets its own outcome. kafkajs rolled the sequence numbers of all of them back, so a chunk the
 * broker had appended is sent again with the same sequence numbers and the broker acknowledges it
 * as a duplicate, with its first offsets, instead of appending it twice.
 */
export class SendCoalescer {
  readonly #batch: (topicMessages: TopicMessages[]) => Promise<RecordMetadata[]>;
  readonly #queue: QueuedSend[] = [];
  #draining = false;

  /** `batch` sends every partition's records of one call in one produce request per broker. */
  constructor(batch: (topicMessages: TopicMessages[]) => Promise<RecordMetadata[]>) {
    this.#batch = batch;
  }

  readonly send: PartitionSend = (topic, partition, messages) =>
    new Promise((resolve, reject) => {
      this.#queue.push({ topic, partition, messages, resolve, reject });
      if (this.#draining) return;
      this.#draining = true;
      // The partitions of one fetch start copying in the same turn of the event loop: the first
      // request waits for that turn to end, the later ones for the request before them.
      setImmediate(() => void this.#drain());
    });

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) await this.#flush(this.#take());
    } finally {
      this.#draining = false;
    }
  }

  /** What goes in the next request: each partition once, in the order sent (a second chunk for a
   * partition, were there one, waits for the next request, so order within it holds). */
  #take(): QueuedSend[] {
    const seen = new Set<string>();
    const taken: QueuedSend[] = [];
    for (let i = 0; i < this.#queue.length; ) {
      const item = this.#queue[i] as QueuedSend;
      const key = `${item.topic}\u0000${item.partition}`;
      if (seen.has(key)) {
        i++;
        continue;
      }
      seen.add(key);
      taken.push(item);
      this.#queue.splice(i, 1);
    }
    return taken;
  }

  async #flush(items: readonly QueuedSend[]): Promise<void> {
    if (items.length === 1) {
      await this.#alone(items[0] as QueuedSend);
      return;
    }
    // kafkajs keeps one entry per topic: two entries for one topic would drop the first's records.
    const byTopic = new Map<string, Message[]>();
    for (const { topic, messages } of items) {
      const list = byTopic.get(topic);
      if (list) list.push(...messages);
      else byTopic.set(topic, [...messages]);
    }
    let metadata: RecordMetadata[];
    try {
      metadata = await this.#batch([...byTopic].map(([topic, messages]) => ({ topic, messages })));
    } catch {
      await Promise.all(items.map((item) => this.#alone(item)));
      return;
    }
    for (const item of items)
      item.resolve(metadata.filter((m) => m.topicName === item.topic && m.partition === item.partition));
  }

  async #alone(item: QueuedSend): Promise<void> {
    try {
      item.resolve(await this.#batch([{ topic: item.topic, messages: item.messages }]));
    } catch (error) {
      item.reject(error);
    }
  }
}
