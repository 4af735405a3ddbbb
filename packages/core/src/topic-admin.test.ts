import {
  type Admin,
  type ITopicMetadata,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createTopicsAndWait, TopicAdminError } from './topic-admin.js';

function protocolError(
  type: string,
  code: number,
  retriable: boolean,
  message: string,
): KafkaJSProtocolError {
  return new KafkaJSProtocolError(Object.assign(new Error(message), { type, code, retriable }));
}
const unknownTopic = (): KafkaJSProtocolError =>
  protocolError('UNKNOWN_TOPIC_OR_PARTITION', 3, true, 'This server does not host this topic-partition');
const leaderNotAvailable = (): KafkaJSProtocolError =>
  protocolError('LEADER_NOT_AVAILABLE', 5, true, 'There is no leader for this topic-partition');

/**
 * An Admin whose metadata answers come from `answers`, one per call (the last one repeats), and
 * whose `fetchTopicOffsets` throws the errors in `offsetErrors` in turn, then succeeds.
 */
function fakeAdmin(answers: (ITopicMetadata[] | Error)[], created = true, offsetErrors: Error[] = []) {
  const calls = {
    createTopics: [] as unknown[],
    fetchTopicMetadata: [] as string[][],
    fetchTopicOffsets: [] as string[],
  };
  const admin = {
    createTopics: async (options: unknown) => {
      calls.createTopics.push(options);
      return created;
    },
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
      calls.fetchTopicMetadata.push(topics);
      const answer = answers[Math.min(calls.fetchTopicMetadata.length - 1, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return { topics: answer as ITopicMetadata[] };
    },
    fetchTopicOffsets: async (topic: string) => {
      calls.fetchTopicOffsets.push(topic);
      const error = offsetErrors.shift();
      if (error) throw error;
      return [{ partition: 0, offset: '0', high: '0', low: '0' }];
    },
  };
  return { admin: admin as unknown as Admin, calls };
}

const led = (name: string, leaders: number[]): ITopicMetadata => ({
  name,
  partitions: leaders.map((leader, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader,
    replicas: [1],
    isr: [1],
  })),
});

describe('createTopicsAndWait', () => {
  it('creates without kafkajs waitForLeaders and retries UNKNOWN_TOPIC_OR_PARTITION and LEADER_NOT_AVAILABLE', async () => {
    const { admin, calls } = fakeAdmin([
      unknownTopic(),
      new KafkaJSNumberOfRetriesExceeded(leaderNotAvailable(), { retryCount: 5, retryTime: 100 }),
      [led('a', [1, 1]), led('b', [1, -1])],
      [led('b', [1, 1])],
    ]);
    const topics = [
      { topic: 'a', numPartitions: 2 },
      { topic: 'b', numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ];
    expect(await createTopicsAndWait(admin, { topics })).toBe(true);
    expect(calls.createTopics).toEqual([{ topics, waitForLeaders: false }]);
    // Only topics still without leaders are asked about again.
    expect(calls.fetchTopicMetadata).toEqual([['a', 'b'], ['a', 'b'], ['a', 'b'], ['b']]);
    expect(calls.fetchTopicOffsets).toEqual(['a', 'b']);
  });

  it('waits until the leaders named in metadata answer ListOffsets (NOT_LEADER_OR_FOLLOWER is retried)', async () => {
    const notLeader = protocolError(
      'NOT_LEADER_FOR_PARTITION',
      6,
      true,
      'This server is not the leader for that topic-partition',
    );
    const { admin, calls } = fakeAdmin([[led('a', [1, 1])]], true, [notLeader, notLeader]);
    expect(await createTopicsAndWait(admin, { topics: [{ topic: 'a', numPartitions: 2 }] })).toBe(true);
    expect(calls.fetchTopicOffsets).toEqual(['a', 'a', 'a']);
    expect(calls.fetchTopicMetadata).toHaveLength(3);
  });

  it('returns false when the topics existed, after checking their leaders', async () => {
    const { admin, calls } = fakeAdmin([[led('a', [1])]], false);
    expect(await createTopicsAndWait(admin, { topics: [{ topic: 'a' }] })).toBe(false);
    expect(calls.fetchTopicMetadata).toEqual([['a']]);
  });

  it('waits for nothing with validateOnly', async () => {
    const { admin, calls } = fakeAdmin([unknownTopic()]);
    expect(await createTopicsAndWait(admin, { topics: [{ topic: 'a' }], validateOnly: true })).toBe(true);
    expect(calls.createTopics).toEqual([
      { topics: [{ topic: 'a' }], waitForLeaders: false, validateOnly: true },
    ]);
    expect(calls.fetchTopicMetadata).toEqual([]);
  });

  it('gives up at the deadline with TOPIC_LEADERS_TIMEOUT naming the topics still without leaders', async () => {
    const { admin } = fakeAdmin([[led('ready', [1]), led('orders', [1, -1, -1])]]);
    const error = await createTopicsAndWait(admin, {
      topics: [{ topic: 'ready' }, { topic: 'orders' }],
      timeoutMs: 300,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopicAdminError);
    expect((error as TopicAdminError).code).toBe('TOPIC_LEADERS_TIMEOUT');
    expect((error as TopicAdminError).message).toContain('topic "orders"');
    expect((error as TopicAdminError).message).toContain('partition(s) 1, 2');
    expect((error as TopicAdminError).message).not.toContain('"ready"');
  });

  it('names the last error when the broker never knew the topic', async () => {
    const { admin } = fakeAdmin([unknownTopic()]);
    const error = await createTopicsAndWait(admin, {
      topics: [{ topic: 'x' }, { topic: 'y' }],
      timeoutMs: 200,
    }).catch((e: unknown) => e);
    expect((error as TopicAdminError).code).toBe('TOPIC_LEADERS_TIMEOUT');
    expect((error as TopicAdminError).message).toContain('topics "x", "y"');
    expect((error as TopicAdminError).message).toContain('does not host this topic-partition');
    expect((error as TopicAdminError).cause).toBeInstanceOf(KafkaJSProtocolError);
  });

  it('fails at once with TOPIC_LEADERS_FAILED on a non-retriable error', async () => {
    const denied = protocolError('TOPIC_AUTHORIZATION_FAILED', 29, false, 'Not authorized to access topics');
    const { admin, calls } = fakeAdmin([denied]);
    const error = await createTopicsAndWait(admin, { topics: [{ topic: 'secret' }] }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TopicAdminError);
    expect((error as TopicAdminError).code).toBe('TOPIC_LEADERS_FAILED');
    expect((error as TopicAdminError).message).toContain('"secret"');
    expect((error as TopicAdminError).cause).toBe(denied);
    expect(calls.fetchTopicMetadata).toHaveLength(1);
    // The same from ListOffsets.
    const offsets = fakeAdmin([[led('secret', [1])]], true, [denied]);
    const fromOffsets = await createTopicsAndWait(offsets.admin, { topics: [{ topic: 'secret' }] }).catch(
      (e: unknown) => e,
    );
    expect((fromOffsets as TopicAdminError).code).toBe('TOPIC_LEADERS_FAILED');
    expect(offsets.calls.fetchTopicOffsets).toHaveLength(1);
    // A non-retriable wrapper around a non-retriable error is not retried either.
    const wrapped = fakeAdmin([new KafkaJSNonRetriableError(denied)]);
    const again = await createTopicsAndWait(wrapped.admin, { topics: [{ topic: 'secret' }] }).catch(
      (e: unknown) => e,
    );
    expect((again as TopicAdminError).code).toBe('TOPIC_LEADERS_FAILED');
  });

  it('passes errors of CreateTopics itself through unchanged', async () => {
    const invalid = protocolError('INVALID_REPLICATION_FACTOR', 38, false, 'Replication-factor is invalid');
    const admin = {
      createTopics: async () => {
        throw invalid;
      },
    } as unknown as Admin;
    await expect(createTopicsAndWait(admin, { topics: [{ topic: 'a', replicationFactor: 9 }] })).rejects.toBe(
      invalid,
    );
  });
});
