import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runExampleProgram } from './program.js';
import type { ExampleResult } from './result.js';

const result = (passed: boolean): ExampleResult => ({ passed, checks: [], elapsedMs: 1 });

/** process.exit, process.on and the output streams, recorded instead of acting on the test's process. */
function recordProcess() {
  const exits: (number | undefined)[] = [];
  const handlers = new Map<string, (signal: NodeJS.Signals) => void>();
  let stdout = '';
  let stderr = '';
  vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
    exits.push(code);
  }) as typeof process.exit);
  vi.spyOn(process, 'on').mockImplementation(((event: string, handler: (signal: NodeJS.Signals) => void) => {
    handlers.set(event, handler);
    return process;
  }) as typeof process.on);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  return {
    exits,
    handlers,
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

describe('runExampleProgram', () => {
  // The 30 s exit after an interrupt must never reach the test's process.
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('prints the progress and the summary and exits 0 when every check passed, 1 when one failed', async () => {
    for (const [passed, code] of [
      [true, 0],
      [false, 1],
    ] as const) {
      const p = recordProcess();
      await runExampleProgram({
        run: async ({ log }) => {
          log('step');
          return result(passed);
        },
        format: (r) => `summary ${r.passed}`,
        stops: 'everything',
      });
      expect(p.stdout()).toBe(`step\n\nsummary ${passed}\n`);
      expect(p.exits).toEqual([code]);
      vi.restoreAllMocks();
    }
  });

  it('with --json prints json(result) on stdout and the progress on stderr; without json() --json changes nothing', async () => {
    const program = {
      run: async ({ log }: { log: (line: string) => void }) => {
        log('step');
        return result(true);
      },
      format: () => 'summary',
      stops: 'everything',
    };
    let p = recordProcess();
    await runExampleProgram({ ...program, json: (r) => ({ verdict: r.passed ? 'PASS' : 'FAIL' }) }, [
      '--json',
    ]);
    expect(p.stdout()).toBe('{"verdict":"PASS"}\n');
    expect(p.stderr()).toBe('step\n');
    expect(p.exits).toEqual([0]);
    vi.restoreAllMocks();

    p = recordProcess();
    await runExampleProgram(program, ['--json']);
    expect(p.stdout()).toBe('step\n\nsummary\n');
    expect(p.exits).toEqual([0]);
  });

  it('exits 2 with the stack on stderr when the run rejects', async () => {
    const p = recordProcess();
    await runExampleProgram({
      run: async () => {
        throw new Error('no brokers');
      },
      format: () => 'unused',
      stops: 'everything',
    });
    expect(p.stderr()).toMatch(/^example failed to run: Error: no brokers\n {4}at /);
    expect(p.exits).toEqual([2]);
  });

  it('aborts the run on SIGINT or SIGTERM, once, and exits 130 whether the run then resolves or rejects', async () => {
    for (const settle of ['resolve', 'reject'] as const) {
      const p = recordProcess();
      let aborted: AbortSignal | undefined;
      const done = runExampleProgram({
        run: ({ signal }) =>
          new Promise<ExampleResult>((resolve, reject) => {
            aborted = signal;
            signal.addEventListener('abort', () =>
              settle === 'resolve' ? resolve(result(true)) : reject(new Error('aborted')),
            );
          }),
        format: () => 'summary',
        stops: 'the clients and both clusters',
      });
      expect([...p.handlers.keys()]).toEqual(['SIGINT', 'SIGTERM']);
      p.handlers.get('SIGTERM')?.('SIGTERM');
      p.handlers.get('SIGINT')?.('SIGINT');
      await done;
      expect(aborted?.aborted).toBe(true);
      expect(p.stdout()).toMatch(/^\nSIGTERM: stopping the clients and both clusters …\n/);
      expect(p.stdout()).not.toContain('SIGINT');
      expect(p.stderr()).toBe('');
      expect(p.exits).toEqual([130]);
      // Should the stop hang, it exits 130 after 30 s.
      vi.advanceTimersByTime(30_000);
      expect(p.exits).toEqual([130, 130]);
      vi.restoreAllMocks();
    }
  });
});
