import kafkajs, { type Admin, type ITopicConfig } from 'kafkajs';
import { MirrorKitError } from './errors.js';

/** Codes of {@link TopicAdminError}. */
export type TopicAdminErrorCode = 'TOPIC_LEADERS_TIMEOUT' | 'TOPIC_LEADERS_FAILED';

/** Topics were created (or existed) but not every partition got a serving leader; names the topics. */
export class TopicAdminError extends MirrorKitError {
  declare readonly code: TopicAdminErrorCode;
  constructor(code: TopicAdminErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Options for {@link createTopicsAndWait}. */
export interface CreateTopicsAndWaitOptions {
  /** The topics to create, exactly as for kafkajs's `admin.createTopics`. */
  topics: ITopicConfig[];
  /**
   * Give up waiting for leaders (with {@link TopicAdminError} `TOPIC_LEADERS_TIMEOUT`) this long
   * after the call started. Default 30 s.
   */
  timeoutMs?: number;
  /** Only validate the request on the broker; nothing is created and nothing is waited for. */
  validateOnly?: boolean;
}

// Errors a broker answers while its metadata cache has not caught up with a new topic yet.
const NOT_YET = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_OR_FOLLOWER',
  'NOT_LEADER_FOR_PARTITION',
]);

/** Whether `error` (or what kafkajs wrapped in it) is worth asking again about. */
function isRetriable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const { type, retriable, name } = e as { type?: unknown; retriable?: unknown; name?: unknown };
    if (typeof type === 'string' && NOT_YET.has(type)) return true;
    if (retriable === true) return true;
    // kafkajs gives up on LEADER_NOT_AVAILABLE after its own retries with this wrapper, which
    // says retriable: false although the cause is exactly what this function waits out.
    if (name !== 'KafkaJSNumberOfRetriesExceeded') return false;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates `topics` and returns once every partition of every one of them has a leader that serves
 * it, so that the next produce, fetch or `fetchTopicOffsets` works. Returns what kafkajs's
 * `admin.createTopics` returns: `true` when the topics were created, `false` when they all existed
 * already (that is not an error). Topics that existed are waited for too: a concurrent caller may
 * have just created them, and kafkajs also says `false` when some topics of the request existed
 * and the others were created.
 *
 * Why not `createTopics({ waitForLeaders: true })`: on KRaft, CreateTopics returns once the
 * controller has committed the topic, while a broker learns of it asynchronously. Until then its
 * metadata answers `UNKNOWN_TOPIC_OR_PARTITION`, and kafkajs 2.2.4's leader wait retries only
 * `LEADER_NOT_AVAILABLE`, so it throws "This server does not host this topic-partition" for a
 * topic that was created fine. And even once the metadata names a leader, that broker may for a
 * few milliseconds more answer `NOT_LEADER_OR_FOLLOWER` (it publishes new metadata before it has
 * made itself leader of the new partitions), which kafkajs's `fetchTopicOffsets` does not retry
 * and which makes a non-idempotent producer's retry write duplicates.
 *
 * So this creates without kafkajs's wait, then polls with short backoff: `fetchTopicMetadata`
 * until every partition has a leader, then `fetchTopicOffsets` (ListOffsets, answered by each
 * partition's leader) until the leaders answer. Retriable errors are retried until the deadline
 * (`timeoutMs`, default 30 s from the call); then it throws {@link TopicAdminError}
 * `TOPIC_LEADERS_TIMEOUT` naming the topics not ready and why. A non-retriable error while waiting
 * throws `TOPIC_LEADERS_FAILED`. Errors of CreateTopics itself are kafkajs's, unchanged. With
 * `validateOnly` nothing is created and nothing is waited for.
 */
export async function createTopicsAndWait(
  admin: Admin,
  options: CreateTopicsAndWaitOptions,
): Promise<boolean> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const created = await admin.createTopics({
    topics: options.topics,
    waitForLeaders: false,
    ...(options.validateOnly !== undefined ? { validateOnly: options.validateOnly } : {}),
  });
  if (options.validateOnly) return created;

  // Topic -> why it is not ready yet (for the error message).
  const pending = new Map<string, string>(
    options.topics.map((t) => [t.topic, 'not known to the broker yet']),
  );
  let lastError: unknown;
  const failed = (error: unknown): TopicAdminError =>
    new TopicAdminError(
      'TOPIC_LEADERS_FAILED',
      `waiting for leaders of ${names(pending)} failed: ${messageOf(error)}`,
      { cause: error },
    );
  for (let attempt = 0; ; attempt++) {
    lastError = undefined;
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [...pending.keys()] });
      const led: string[] = [];
      for (const { name, partitions } of topics) {
        if (!pending.has(name)) continue;
        const leaderless = partitions.filter((p) => !(p.leader >= 0)).map((p) => p.partitionId);
        if (partitions.length === 0) pending.set(name, 'no partitions in metadata yet');
        else if (leaderless.length > 0)
          pending.set(name, `no leader for partition(s) ${leaderless.join(', ')}`);
        else led.push(name);
      }
      // ListOffsets goes to each partition's leader, which answers only once it really leads.
      const served = await Promise.allSettled(led.map((topic) => admin.fetchTopicOffsets(topic)));
      for (const [i, result] of served.entries()) {
        const topic = led[i] as string;
        if (result.status === 'fulfilled') {
          pending.delete(topic);
          continue;
        }
        if (!isRetriable(result.reason)) throw failed(result.reason);
        pending.set(topic, `leader not serving yet (${messageOf(result.reason)})`);
        lastError = result.reason;
      }
      if (pending.size === 0) return created;
    } catch (error) {
      if (error instanceof TopicAdminError) throw error;
      if (!isRetriable(error)) throw failed(error);
      lastError = error;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const detail = [...pending].map(([topic, why]) => `"${topic}": ${why}`).join('; ');
      const last = lastError === undefined ? '' : `; last error: ${messageOf(lastError)}`;
      throw new TopicAdminError(
        'TOPIC_LEADERS_TIMEOUT',
        `${names(pending)} did not get a serving leader for every partition within ${timeoutMs} ms (${detail}${last})`,
        lastError === undefined ? undefined : { cause: lastError },
      );
    }
    const delay = Math.min(500, 50 * 2 ** attempt, remaining);
    await new Promise((resolveSleep) => setTimeout(resolveSleep, delay));
  }
}

function names(pending: ReadonlyMap<string, string>): string {
  const list = [...pending.keys()].map((t) => `"${t}"`).join(', ');
  return pending.size === 1 ? `topic ${list}` : `topics ${list}`;
}

/**
 * Creates `topic` as MM2 creates its internal topics (one partition, compacted) unless it exists;
 * true when it created it. Listed first: where the topic exists, no Create permission is needed.
 * `replicationFactor` may be a lookup (such as {@link defaultReplicationFactor}), asked only when
 * the topic is created; `timeoutMs` bounds the wait for its leader (default 30 s). `compacted:
 * false` keeps the broker's cleanup policy, for a one-partition topic of records without keys (a
 * dead letter queue, as Connect makes it).
 */
export async function ensureInternalTopic(
  admin: Admin,
  topic: string,
  replicationFactor: number | ((admin: Admin) => Promise<number>),
  options: { readonly timeoutMs?: number; readonly compacted?: boolean } = {},
): Promise<boolean> {
  if ((await admin.listTopics()).includes(topic)) return false;
  await createTopicsAndWait(admin, {
    topics: [
      {
        topic,
        numPartitions: 1,
        replicationFactor:
          typeof replicationFactor === 'number' ? replicationFactor : await replicationFactor(admin),
        configEntries: options.compacted === false ? [] : [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ],
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return true;
}

/**
 * The replication factor the cluster gives a topic created without one (`default.replication.factor`
 * of a broker), at most its broker count. kafkajs's CreateTopics predates the "broker default"
 * value -1, so a topic created "with the cluster's settings" must be given this number.
 */
export async function defaultReplicationFactor(admin: Admin): Promise<number> {
  // From the default export: Node's ESM loader does not see this enum of the CommonJS kafkajs as a
  // named export.
  const { ConfigResourceTypes } = kafkajs;
  const { brokers } = await admin.describeCluster();
  const broker = brokers[0];
  if (!broker) return 1;
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [
      {
        type: ConfigResourceTypes.BROKER,
        name: String(broker.nodeId),
        configNames: ['default.replication.factor'],
      },
    ],
  });
  const value = Number(
    described.resources[0]?.configEntries.find((e) => e.configName === 'default.replication.factor')
      ?.configValue,
  );
  return Number.isInteger(value) && value > 0 ? Math.min(value, brokers.length) : Math.min(3, brokers.length);
}
