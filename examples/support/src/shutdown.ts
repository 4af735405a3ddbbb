/**
 * Shutdown handling every example needs around its story: a teardown list that also runs on abort
 * (Ctrl-C), and the error the waits throw once the run was aborted.
 */

/**
 * Thrown by the waits (`sleep`, `until`, `checkAborted`) once the run was aborted;
 * `runExampleProgram` turns it into exit code 130.
 */
export class ExampleAborted extends Error {
  constructor() {
    super('aborted');
    this.name = 'ExampleAborted';
  }
}

/** One release step of a {@link Teardown}. */
interface TeardownStep {
  readonly what: string;
  readonly release: () => Promise<void>;
}

/**
 * Resources to release, newest first. `close()` may be called from a signal handler while the run
 * is still awaiting something; a resource added after that is released at once, so a cluster that
 * finishes starting after Ctrl-C does not outlive the program.
 */
export class Teardown {
  readonly #steps: TeardownStep[] = [];
  readonly #log: (line: string) => void;
  #closing: Promise<void> | null = null;

  /**
   * @param log - where a failed release step is reported (teardown goes on regardless).
   * @param signal - aborting it starts the teardown at once.
   */
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
   *
   * @returns `starting`, to be awaited by the caller.
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

  async #run(step: TeardownStep): Promise<void> {
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
