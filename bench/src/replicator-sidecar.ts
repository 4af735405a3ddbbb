// The sidecar as a user runs it: its own Node process through the package's `mirrorkit-replicator`
// bin and an mm2.properties file, as MM2 runs in its own JVM. In the bench's process it would share
// one event loop (and one heap) with the bench's producer and latency reader, and each would add
// its pauses to the other's latency.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SidecarProcess {
  /** Process id and process group id (it leads a group of its own). */
  readonly pid: number;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
// A bench that dies on an error must not leave a replicator copying into the next run's clusters.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts `mirrorkit-replicator --config <properties>`; resolves once the process runs. */
export async function startSidecarProcess(properties: string): Promise<SidecarProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sidecar-'));
  const config = join(dir, 'mm2.properties');
  writeFileSync(config, properties);
  const index = fileURLToPath(import.meta.resolve('@mirrorkit/replicator'));
  const bin = join(dirname(index), 'bin', 'mirrorkit-replicator.js');
  const child = spawn(process.execPath, [bin, '--config', config], {
    detached: true,
    // Its JSON log is not the bench's output; stderr is kept for a failure to start.
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  live.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });
  const pid = child.pid as number;
  return {
    pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }
      live.delete(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
