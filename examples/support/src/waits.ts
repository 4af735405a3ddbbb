/** Waits that give up as soon as the run is aborted (Ctrl-C), with `ExampleAborted`. */
import { ExampleAborted } from './shutdown.js';

/** Sleeps `ms`, or rejects with {@link ExampleAborted} as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ExampleAborted());
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new ExampleAborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Polls `check` every 100 ms until it is true (→ true) or `timeoutMs` passes (→ false).
 * Rejects with {@link ExampleAborted} once `signal` aborts.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(100, signal);
  }
  return check();
}

/** Throws {@link ExampleAborted} if the run was aborted meanwhile. */
export function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new ExampleAborted();
}
