import type { Producer, ProducerRecord, RecordMetadata } from 'kafkajs';

/** What one try to write a record ended with. */
export type Outcome = { readonly metadata: RecordMetadata[] } | { readonly error: Error };

/** One try to write a send's record to one cluster. */
export interface Attempt {
  readonly cluster: string;
  /** Settles with the outcome; never rejects. */
  readonly outcome: Promise<Outcome>;
  /** The outcome once there is one, so a failover can tell without waiting whether it was written. */
  readonly result: Outcome | null;
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Starts a try to write `record` (already addressed to the topic `cluster` knows it by). */
export function attemptOn(cluster: string, producer: Producer, record: ProducerRecord): Attempt {
  let sent: Promise<RecordMetadata[]>;
  try {
    sent = producer.send(record);
  } catch (error) {
    sent = Promise.reject(error);
  }
  const attempt: { cluster: string; outcome: Promise<Outcome>; result: Outcome | null } = {
    cluster,
    result: null,
    outcome: sent.then(
      (metadata): Outcome => ({ metadata }),
      (error: unknown): Outcome => ({ error: asError(error) }),
    ),
  };
  // Registered first, so anyone awaiting `outcome` already sees `result` set.
  void attempt.outcome.then((outcome) => {
    attempt.result = outcome;
  });
  return attempt;
}

/**
 * One `send` call of a MirrorKit producer, from the call until its caller has an answer. It keeps
 * its place in send order across failovers; answering twice is impossible by construction, so a
 * late outcome of an abandoned try cannot override what the caller was told.
 */
export class PendingSend {
  readonly record: ProducerRecord;
  readonly answer: Promise<RecordMetadata[]>;
  /** Settles (never rejects) once the caller has its answer. */
  readonly answered: Promise<void>;
  /** When waiting ends in CLIENT_SEND_TIMEOUT; set each time the send starts to wait. */
  deadline = 0;
  /** Armed while the send waits (in the queue, with no try of it in flight). */
  timer: NodeJS.Timeout | null = null;
  /** The latest try to write it. */
  attempt: Attempt | null = null;
  /**
   * For a try that was still in flight when a failover began: whether it wrote the record after
   * all (its metadata) or was given up (null), decided while the new cluster is connected to.
   */
  verdict: Promise<RecordMetadata[] | null> | null = null;
  /** Taken over by a failover from the direct path; from then on the failover answers it. */
  queued = false;
  #settled = false;
  readonly #resolve: (metadata: RecordMetadata[]) => void;
  readonly #reject: (error: Error) => void;

  constructor(record: ProducerRecord) {
    this.record = record;
    let resolve: (metadata: RecordMetadata[]) => void = () => undefined;
    let reject: (error: Error) => void = () => undefined;
    this.answer = new Promise<RecordMetadata[]>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#resolve = resolve;
    this.#reject = reject;
    this.answered = this.answer.then(
      () => undefined,
      () => undefined,
    );
  }

  get settled(): boolean {
    return this.#settled;
  }

  get messages(): number {
    return this.record.messages.length;
  }

  clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  succeed(metadata: RecordMetadata[]): void {
    if (this.#settled) return;
    this.#settled = true;
    this.clearTimer();
    this.#resolve(metadata);
  }

  fail(error: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.clearTimer();
    this.#reject(error);
  }
}
