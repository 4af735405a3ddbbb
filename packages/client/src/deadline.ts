/**
 * Settles as `promise` does, or after `ms` with what `expire` returns — or rejects with what it
 * throws — whichever comes first. The timer never outlives the race. Internal to the client.
 */
export function raceDeadline<T, U>(promise: Promise<T>, ms: number, expire: () => U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<U>((resolveExpiry, rejectExpiry) => {
      timer = setTimeout(() => {
        try {
          resolveExpiry(expire());
        } catch (error) {
          rejectExpiry(error);
        }
      }, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** First line of an error's message: kafkajs messages can carry whole stack-like blobs. */
export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';
}
