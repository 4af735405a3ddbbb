import kafkajs from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { deadLetterMessage, ORIGINAL_TIMESTAMP_HEADER } from './dead-letter-writer.js';
import { FlowScheduler } from './flow-scheduler.js';
import { PartitionStops } from './partition-stops.js';
import { produceErrorKind, protocolErrorType } from './produce-error-kind.js';
import { chunkEnd, type SourceRecord } from './record-chunks.js';
import { remoteConfigUpdate, remoteTopicChanges } from './topic-sync.js';

const { KafkaJSProtocolError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } = kafkajs;

const record = (offset: number, bytes: number): SourceRecord => ({
  offset: String(offset),
  key: null,
  value: Buffer.alloc(bytes),
  timestamp: '1000',
});

describe('chunkEnd', () => {
  it('cuts at the byte bound but always takes at least one record', () => {
    const records = [record(0, 600), record(1, 600), record(2, 5000), record(3, 10)];
    expect(chunkEnd(records, 0, 1000)).toBe(2);
    expect(chunkEnd(records, 2, 1000)).toBe(3);
    expect(chunkEnd(records, 3, 1000)).toBe(4);
  });
});

describe('produceErrorKind', () => {
  // kafkajs's own error classes, as its retrier wraps a broker error.
  const broker = (type: string) =>
    new KafkaJSProtocolError(Object.assign(new Error(type), { type, code: 0, retriable: false }));
  it('finds the broker error through kafkajs wrappers', () => {
    // As kafkajs's retrier builds it: new KafkaJSNonRetriableError(e, { cause: e }).
    const wrapped = Object.assign(new KafkaJSNonRetriableError(broker('INVALID_TIMESTAMP')), {
      cause: broker('INVALID_TIMESTAMP'),
    });
    expect(protocolErrorType(wrapped)).toBe('INVALID_TIMESTAMP');
    expect(produceErrorKind(wrapped)).toBe('record');
    const retries = Object.assign(
      new KafkaJSNumberOfRetriesExceeded(broker('NOT_ENOUGH_REPLICAS'), { retryCount: 5, retryTime: 100 }),
      { cause: broker('NOT_ENOUGH_REPLICAS') },
    );
    expect(produceErrorKind(retries)).toBe('retry');
  });
  it('classifies by what fixes it', () => {
    expect(produceErrorKind(broker('MESSAGE_TOO_LARGE'))).toBe('record');
    expect(produceErrorKind(broker('TOPIC_AUTHORIZATION_FAILED'))).toBe('partition');
    expect(produceErrorKind(broker('OUT_OF_ORDER_SEQUENCE_NUMBER'))).toBe('producer');
    expect(produceErrorKind(broker('INVALID_PRODUCER_EPOCH'))).toBe('producer');
    expect(produceErrorKind(new Error('Connection timeout'))).toBe('retry');
  });
});

describe('remoteTopicChanges and remoteConfigUpdate', () => {
  it('creates missing remote topics and grows smaller ones, never shrinks', () => {
    const changes = remoteTopicChanges(
      new Map([
        ['a', 3],
        ['b', 4],
        ['c', 2],
      ]),
      new Map([
        ['x.b', 2],
        ['x.c', 5],
      ]),
      (t) => `x.${t}`,
    );
    expect(changes).toEqual({
      create: [{ remote: 'x.a', topic: 'a', partitions: 3 }],
      grow: [{ remote: 'x.b', from: 2, to: 4 }],
    });
  });
  it("keeps the remote's own configs and sends nothing when nothing differs", () => {
    expect(remoteConfigUpdate({ 'retention.ms': '1' }, { 'retention.ms': '1', 'x.y': '2' })).toBeNull();
    expect(remoteConfigUpdate({ 'retention.ms': '5' }, { 'retention.ms': '1', 'x.y': '2' })).toEqual({
      'retention.ms': '5',
      'x.y': '2',
    });
  });
});

describe('deadLetterMessage', () => {
  const context = {
    topic: 'orders',
    partition: 2,
    flow: 'a->b',
    brokerError: 'INVALID_TIMESTAMP',
    message: 'too old',
  };
  it("keeps key, value and headers, is stamped now, and carries Connect's context headers when asked", () => {
    const original = { ...record(7, 3), key: Buffer.from('k'), headers: { h: Buffer.from('v') } };
    const letter = deadLetterMessage(original, context, true, 5000);
    expect(letter.key).toEqual(Buffer.from('k'));
    expect(letter.value).toEqual(original.value);
    expect(letter.timestamp).toBe('5000');
    expect(letter.headers).toMatchObject({
      h: Buffer.from('v'),
      [ORIGINAL_TIMESTAMP_HEADER]: '1000',
      '__connect.errors.topic': 'orders',
      '__connect.errors.partition': '2',
      '__connect.errors.offset': '7',
      '__connect.errors.exception.class.name': 'org.apache.kafka.common.errors.InvalidTimestampException',
    });
    const plain = deadLetterMessage(original, context, false, 5000);
    expect(Object.keys(plain.headers ?? {})).toEqual(['h', ORIGINAL_TIMESTAMP_HEADER]);
  });
});

describe('PartitionStops', () => {
  it('pauses at the record, resumes after the retry delay, and keeps when it first stopped', () => {
    vi.useFakeTimers();
    try {
      const calls: string[] = [];
      const consumer = {
        pause: (t: { topic: string; partitions: number[] }[]) =>
          calls.push(`pause ${t[0]?.topic}-${t[0]?.partitions[0]}`),
        resume: (t: { topic: string; partitions: number[] }[]) =>
          calls.push(`resume ${t[0]?.topic}-${t[0]?.partitions[0]}`),
      };
      const stops = new PartitionStops(1000);
      const stop = { topic: 't', partition: 1, offset: '9', code: 'INVALID_TIMESTAMP', error: 'x' };
      expect(stops.stop(consumer, stop, 100)).toBe(true);
      expect(stops.stop(consumer, stop, 200)).toBe(false);
      expect(stops.has('t\u00001')).toBe(true);
      vi.advanceTimersByTime(1000);
      expect(calls).toEqual(['pause t-1', 'resume t-1']);
      expect(stops.stopped).toEqual([]);
      // Refused again at the same record: still reported as stopped since the first time.
      stops.stop(consumer, stop, 5000);
      expect(stops.stopped[0]?.since).toBe(100);
      stops.retain(new Set());
      expect(stops.stopped).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('FlowScheduler', () => {
  it('runs periodic work after the previous run, backs off on failure, stops cleanly, stays bounded', async () => {
    vi.useFakeTimers();
    try {
      const errors: string[] = [];
      const s = new FlowScheduler((what) => errors.push(what));
      let runs = 0;
      s.every(1, 'job', async () => {
        runs++;
        if (runs <= 2) throw new Error('down');
      });
      await vi.advanceTimersByTimeAsync(1000); // run 1 fails → next in 2 s
      await vi.advanceTimersByTimeAsync(2000); // run 2 fails → next in 4 s
      await vi.advanceTimersByTimeAsync(3999);
      expect(runs).toBe(2);
      await vi.advanceTimersByTimeAsync(1);
      expect(runs).toBe(3);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(runs).toBe(13);
      expect(errors).toEqual(['job', 'job']);
      expect(s.pending).toBe(1);
      s.stop();
      await vi.advanceTimersByTimeAsync(10_000);
      expect(runs).toBe(13);
    } finally {
      vi.useRealTimers();
    }
  });
});
