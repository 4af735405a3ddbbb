import { parseMirrorMakerProperties } from '@mirrorkit/core';
import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  sameSelection,
  selectedTopics,
  TOPIC_WATCH_INTERVAL_SECONDS,
  topicWatchIntervalSeconds,
} from './topic-watch.js';

const flowOf = (extra = '') => {
  const flow = parseMirrorMakerProperties(`
clusters = us-east, us-west
us-east.bootstrap.servers = e:9092
us-west.bootstrap.servers = w:9092
us-east->us-west.enabled = true
us-east->us-west.topics = orders.*, payments.*
${extra}`).flows[0];
  if (!flow) throw new Error('no flow');
  return flow;
};

/** An admin that answers one metadata request with these topics and counts the requests. */
function metadataAdmin(topics: Record<string, number>): { admin: Admin; requests: () => number } {
  let requests = 0;
  const fake: Pick<Admin, 'fetchTopicMetadata'> = {
    fetchTopicMetadata: async () => {
      requests++;
      return {
        topics: Object.entries(topics).map(([name, count]) => ({
          name,
          partitions: Array.from({ length: count }, (_, partitionId) => ({
            partitionErrorCode: 0,
            partitionId,
            leader: 1,
            replicas: [1],
            isr: [1],
          })),
        })),
      };
    },
  };
  return { admin: fake as Admin, requests: () => requests };
}

describe('the topic watch', () => {
  it('watches every 5 s under MM2 default refresh of 600 s; not at all when refresh is off or as frequent', () => {
    expect(TOPIC_WATCH_INTERVAL_SECONDS).toBe(5);
    expect(topicWatchIntervalSeconds(flowOf())).toBe(5);
    expect(topicWatchIntervalSeconds(flowOf('refresh.topics.enabled = false'))).toBe(0);
    expect(topicWatchIntervalSeconds(flowOf('refresh.topics.interval.seconds = 5'))).toBe(0);
    expect(topicWatchIntervalSeconds(flowOf('refresh.topics.interval.seconds = 1'))).toBe(0);
    expect(topicWatchIntervalSeconds(flowOf('refresh.topics.interval.seconds = 6'))).toBe(5);
  });

  it('selects as MM2 does (heartbeats whatever the filter) from one metadata request, sorted', async () => {
    const { admin, requests } = metadataAdmin({
      'payments-eu': 2,
      'orders-new': 3,
      heartbeats: 1,
      inventory: 4,
      'us-west.orders': 1,
      __consumer_offsets: 50,
      'mm2-offset-syncs.us-west.internal': 1,
    });
    const selection = await selectedTopics(admin, flowOf());
    expect([...selection]).toEqual([
      ['heartbeats', 1],
      ['orders-new', 3],
      ['payments-eu', 2],
    ]);
    expect(requests()).toBe(1);
  });

  it('tells a new topic or a grown partition count from the same selection', () => {
    const now = new Map([
      ['heartbeats', 1],
      ['orders', 3],
    ]);
    expect(sameSelection(now, new Map([...now].reverse()))).toBe(true);
    expect(sameSelection(now, new Map([...now, ['orders-late', 1]]))).toBe(false);
    expect(sameSelection(now, new Map([...now, ['orders', 4]]))).toBe(false);
    expect(sameSelection(now, new Map([['heartbeats', 1]]))).toBe(false);
    expect(
      sameSelection(
        now,
        new Map([
          ['heartbeats', 1],
          ['payments', 3],
        ]),
      ),
    ).toBe(false);
  });
});
