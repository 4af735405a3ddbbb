import { spawn } from 'node:child_process';

/** What a spawned Node program did. */
export interface NodeRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from spawn to exit. */
  readonly ms: number;
}

/**
 * Runs a built Node program as a user would: its own process, no TTY, no colours (NO_COLOR), the
 * test's environment otherwise. Resolves when it exits, with everything it printed.
 */
export function runNode(script: string, args: readonly string[] = []): Promise<NodeRun> {
  const started = Date.now();
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code, stdout, stderr, ms: Date.now() - started }));
  });
}
