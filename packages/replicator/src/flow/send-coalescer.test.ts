import type { Message, RecordMetadata, TopicMessages } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { SendCoalescer } from './send-coalescer.js';

const msgs = (partition: number, ...values: string[]): Message[] =>
  values.map((value) => ({ value, partition }));

/**
 * A target that answers each request with one metadata entry per partition in it (base offset =
 * records it held before), after `gate` opens; `refuse` names a partition whose records it refuses.
 */
function target(refuse?: string) {
  const requests: string[][] = [];
  const logs = new Map<string, string[]>();
  const gates: (() => void)[] = [];
  const batch = async (topicMessages: TopicMessages[]): Promise<RecordMetadata[]> => {
    const keys = topicMessages.flatMap(({ topic, messages }) =>
      [...new Set(messages.map((m) => m.partition))].map((p) => `${topic}/${p}`),
    );
    requests.push(keys);
    await new Promise<void>((resolve) => gates.push(resolve));
    if (refuse && keys.includes(refuse))
      throw Object.assign(new Error('refused'), { type: 'MESSAGE_TOO_LARGE' });
    return topicMessages.flatMap(({ topic, messages }) =>
      [...new Set(messages.map((m) => m.partition as number))].map((partition) => {
        const log = logs.get(`${topic}/${partition}`) ?? [];
        const base = log.length;
        for (const m of messages) if (m.partition === partition) log.push(String(m.value));
        logs.set(`${topic}/${partition}`, log);
        return { topicName: topic, partition, errorCode: 0, baseOffset: String(base) };
      }),
    );
  };
  /** Lets the oldest waiting request answer, then lets the coalescer react. */
  const answer = async (): Promise<void> => {
    await new Promise((r) => setImmediate(r));
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { batch, requests, logs, answer };
}

describe('SendCoalescer', () => {
  it('sends the chunks of one turn in one request, one topic entry each, and resolves each with its own partition', async () => {
    const t = target();
    const c = new SendCoalescer(t.batch);
    const a = c.send('us-east.orders', 0, msgs(0, 'a0', 'a1'));
    const b = c.send('us-east.orders', 1, msgs(1, 'b0'));
    const d = c.send('us-east.payments', 0, msgs(0, 'd0'));
    await t.answer();
    expect(t.requests).toEqual([['us-east.orders/0', 'us-east.orders/1', 'us-east.payments/0']]);
    expect((await a).map((m) => [m.topicName, m.partition])).toEqual([['us-east.orders', 0]]);
    expect((await b).map((m) => [m.topicName, m.partition])).toEqual([['us-east.orders', 1]]);
    expect((await d).map((m) => [m.topicName, m.partition])).toEqual([['us-east.payments', 0]]);
    expect(t.logs.get('us-east.orders/0')).toEqual(['a0', 'a1']);
  });

  it('sends what came while a request was in flight together, in the next request', async () => {
    const t = target();
    const c = new SendCoalescer(t.batch);
    const first = c.send('t', 0, msgs(0, 'x'));
    await new Promise((r) => setImmediate(r));
    const later = [c.send('t', 1, msgs(1, 'y')), c.send('t', 2, msgs(2, 'z'))];
    expect(t.requests).toEqual([['t/0']]);
    await t.answer();
    await first;
    expect(t.requests).toEqual([['t/0'], ['t/1', 't/2']]);
    await t.answer();
    await Promise.all(later);
  });

  it('never puts two chunks of one partition in one request, so their order holds', async () => {
    const t = target();
    const c = new SendCoalescer(t.batch);
    const one = c.send('t', 0, msgs(0, 'first'));
    const two = c.send('t', 0, msgs(0, 'second'));
    const other = c.send('t', 1, msgs(1, 'o'));
    await t.answer();
    await t.answer();
    expect(t.requests).toEqual([['t/0', 't/1'], ['t/0']]);
    expect((await one)[0]?.baseOffset).toBe('0');
    expect((await two)[0]?.baseOffset).toBe('1');
    await other;
    expect(t.logs.get('t/0')).toEqual(['first', 'second']);
  });

  it('sends each chunk of a failed request on its own: only the refused one fails', async () => {
    const t = target('t/1');
    const c = new SendCoalescer(t.batch);
    const ok = c.send('t', 0, msgs(0, 'fine'));
    const bad = c.send('t', 1, msgs(1, 'too large'));
    const badOutcome = bad.then(
      () => 'resolved',
      (e: { type?: string }) => e.type,
    );
    await t.answer(); // the combined request, refused
    await t.answer(); // t/0 alone
    await t.answer(); // t/1 alone
    expect(t.requests).toEqual([['t/0', 't/1'], ['t/0'], ['t/1']]);
    expect((await ok).map((m) => m.partition)).toEqual([0]);
    expect(await badOutcome).toBe('MESSAGE_TOO_LARGE');
    // The next send starts a request of its own again.
    const next = c.send('t', 0, msgs(0, 'next'));
    await t.answer();
    expect((await next)[0]?.baseOffset).toBe('1');
  });
});
