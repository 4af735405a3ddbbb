import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OWNER_FILE = 'owner.pid';

/** Records which process owns a scratch folder, so a later run can tell it was abandoned. */
export function claimRunDir(dir: string): void {
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means the process exists but is not ours: still alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes scratch folders (`<tmp>/<prefix>*`) whose owning process is gone. A run killed with
 * SIGKILL cannot clean up after itself (its watchdogs kill the JVMs, but the data stays); without
 * this sweep every crashed run would leave a broker's data in /tmp forever.
 */
export function sweepStaleRunDirs(prefix: string): void {
  let entries: string[];
  try {
    entries = readdirSync(tmpdir()).filter((name) => name.startsWith(prefix));
  } catch {
    return;
  }
  for (const name of entries) {
    const dir = join(tmpdir(), name);
    let owner: number;
    try {
      owner = Number.parseInt(readFileSync(join(dir, OWNER_FILE), 'utf8'), 10);
    } catch {
      continue; // Not claimed (yet): maybe a run that is starting right now. Leave it.
    }
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) rmSync(dir, { recursive: true, force: true });
  }
}
