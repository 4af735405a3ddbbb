/**
 * What every example needs around its story: a teardown list that also runs on abort (Ctrl-C),
 * and waits that give up when the run is aborted.
 */

/** Thrown by the waits below once the run was aborted; main.ts turns it into exit code 130. */
export class ExampleAborted extends Error {
  constructor() {
    super('aborted');
    this.name = 'ExampleAborted';
  }
}

/**
 * Resources to release, newest first. `close()` may be called from a signal handler while the run
 * is still awaiting something; a resource added after that is released at once, so a cluster that
 * finishes starting after Ctrl-C does not outlive the program.
 */
export class Teardown {
  readonly #steps: { what: string; release: () => Promise<void> }[] = [];
  readonly #log: (line: string) => void;
  #closing: Promise<void> | null = null;

  constructor(log: (line: string) => void, signal?: AbortSignal) {
    this.#log = log;
    signal?.addEventListener('abort', () => void this.close(), { once: true });
  }

  /** Registers a release step; runs it now if teardown has already begun. */
  add(what: string, release: () => Promise<void>): void {
    const step = { what, release };
    // Chained, so whoever awaits close() afterwards also waits for this release.
    if (this.#closing) this.#closing = this.#closing.then(() => this.#run(step));
    else this.#steps.push(step);
  }

  /**
   * Registers the release of something still starting, before its start is awaited: a Ctrl-C
   * during the start then waits for it and releases it, in order, instead of leaving a JVM behind
   * or stopping the brokers under a MirrorMaker 2 that is still starting up.
   */
  started<T>(what: string, starting: Promise<T>, release: (resource: T) => Promise<void>): Promise<T> {
    this.add(what, async () => {
      const resource = await starting.then(
        (value) => ({ value }),
        () => null, // It never started; its start already reported why.
      );
      if (resource) await release(resource.value);
    });
    return starting;
  }

  /** Releases everything once; later calls wait for the same teardown. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const step of this.#steps.splice(0).reverse()) await this.#run(step);
    })();
    return this.#closing;
  }

  async #run(step: { what: string; release: () => Promise<void> }): Promise<void> {
    // The testkit unrefs its JVM children, so awaiting a JVM's exit does not keep Node alive; with
    // the Kafka clients already closed nothing else would, and Node would quit mid-teardown.
    const keepAlive = setInterval(() => undefined, 1000);
    try {
      await step.release();
    } catch (error) {
      // Teardown goes on: a consumer that fails to leave must not keep the brokers running.
      this.#log(`stopping ${step.what} failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearInterval(keepAlive);
    }
  }
}

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

/** Polls `check` every 100 ms until it is true (→ true) or `timeoutMs` passes (→ false). */
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

/** `1234` → `1,234`. */
export const count = (n: number): string => n.toLocaleString('en-US');

/** Milliseconds as `850 ms` or `2.4 s`; `n/a` when not measured. */
export function duration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return 'n/a';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
