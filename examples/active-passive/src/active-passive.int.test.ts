import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFailed } from 'vitest';
import { runActivePassive } from './active-passive.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** Command lines of the JVMs (and their watchdogs) a process with this pid started. */
function jvmsOf(pid: number): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(`watchdog.sh ${pid} `));
}

describe('example: active-passive', () => {
  it('fails over consumer and producer to us-west when us-east is SIGKILLed, skipping nothing', async () => {
    const lines: string[] = [];
    onTestFailed(() => console.error(lines.join('\n')));
    const result = await runActivePassive({ log: (line) => lines.push(line) });

    expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([]);
    expect(result.passed).toBe(true);
    expect(result.accounting.skipped).toBe(0);
    expect(result.producerErrors).toBe(0);
    expect(result.partitionsWithoutCheckpoint).toBe(0);
    expect(result.partitionsExact).toBe(result.partitions);
    // Both sides of the crash carried orders, and us-west holds what MM2 copied plus the new ones.
    expect(result.ackedOnSource).toBeGreaterThan(200);
    expect(result.ackedOnTarget).toBeGreaterThan(100);
    expect(result.onTarget).toBeGreaterThanOrEqual(result.replicated + result.ackedOnTarget - 100);
    const a = result.accounting;
    expect(a.consumed).toBeGreaterThanOrEqual(a.produced - a.lostWithSource);
    expect(result.consumerRtoMs).toBeGreaterThan(0);
    expect(result.consumerRtoMs).toBeLessThan(30_000);
    expect(result.producerRtoMs).toBeGreaterThan(0);
  }, 90_000);

  it('Ctrl-C stops everything it started and exits 130', async () => {
    expect(existsSync(MAIN), `${MAIN} is missing: run pnpm run build first`).toBe(true);
    const child = spawn(process.execPath, [MAIN], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    onTestFailed(() => console.error(output));
    const exited = new Promise<number | null>((resolveExit) => child.on('close', resolveExit));
    await new Promise<void>((resolveStarted, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        // Interrupt while orders flow: clients, MM2 and both brokers are all running.
        if (output.includes('producing ~')) resolveStarted();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      void exited.then(() => reject(new Error(`exited before producing:\n${output}`)));
    });
    const pid = child.pid as number;
    expect(jvmsOf(pid).length).toBeGreaterThanOrEqual(3);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(output).toContain('stopped the clients, MirrorMaker 2 and both clusters');
    // Stopped by the program itself, not left to the watchdog that outlives it.
    expect(jvmsOf(pid)).toEqual([]);
  }, 60_000);
});
