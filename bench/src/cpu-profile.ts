// A CPU profile of this process while `work` runs (node:inspector, the same as node --cpu-prof but
// for one stretch only), written to a .cpuprofile file, with the functions that took the most
// self time summed up by function and file.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

/** Runs `work` under the profiler; returns its result and the top `top` rows of self time. */
export async function profiled<T>(
  file: string,
  work: () => Promise<T>,
  top = 15,
): Promise<{ result: T; rows: string[][] }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  let result: T;
  let rows: string[][] = [];
  try {
    result = await work();
  } finally {
    const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    rows = summarise(profile, top);
  }
  return { result, rows };
}

function summarise(profile: Profile, top: number): string[][] {
  const samples = profile.samples?.length ?? 0;
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const byName = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${basename(url)}:${lineNumber + 1}` : '';
    const name = `${functionName || '(anonymous)'} ${where}`.trim();
    byName.set(name, (byName.get(name) ?? 0) + (node.hitCount ?? 0));
  }
  const rows = [['function (self time)', 'share of samples', 'ms']];
  for (const [name, hits] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, top))
    rows.push([
      name.slice(0, 90),
      `${((hits / Math.max(1, samples)) * 100).toFixed(1)} %`,
      ((hits / Math.max(1, samples)) * totalMs).toFixed(0),
    ]);
  return rows;
}
