import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = (name: string): string => fileURLToPath(new URL(`../../${name}`, import.meta.url));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function outcome(file: string, args: string[], cwd: string): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

// What a user gets from `npm install @mirrorkit/replicator`: the packed tarballs (workspace:*
// rewritten to versions, `files` applied), installed by npm into an empty project.
describe('the installed package', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mirrorkit-install-'));
    for (const name of ['core', 'replicator'])
      await run('pnpm', ['pack', '--pack-destination', dir], { cwd: packageDir(name), timeout: 60_000 });
    const tarballs = (await readdir(dir)).filter((f) => f.endsWith('.tgz')).map((f) => `./${f}`);
    expect(tarballs).toHaveLength(2);
    await writeFile(join(dir, 'package.json'), '{"name":"install-check","private":true}\n');
    // kafkajs and the codecs come from npm's cache when present; the registry otherwise.
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], {
      cwd: dir,
      timeout: 180_000,
    });
  }, 240_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs `npx mirrorkit-replicator`: --help, and a config it cannot run exits 2 with a clear error', async () => {
    const bin = join(
      dir,
      'node_modules',
      '@mirrorkit',
      'replicator',
      'dist',
      'bin',
      'mirrorkit-replicator.js',
    );
    expect((await readFile(bin, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect((await stat(bin)).mode & 0o111).not.toBe(0);
    const help = await outcome('npx', ['--no-install', 'mirrorkit-replicator', '--help'], dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--http-host HOST/);
    expect(help.stdout).toMatch(/--stop-timeout-seconds N/);
    await writeFile(join(dir, 'mm2.properties'), 'us-east.sasl.jaas.config = secret-jaas-text\n');
    const bad = await outcome(
      'npx',
      ['--no-install', 'mirrorkit-replicator', '--config', 'mm2.properties'],
      dir,
    );
    expect(bad.code).toBe(2);
    expect(bad.stdout + bad.stderr).toMatch(/"code":"CONFIG_MISSING"/);
    expect(bad.stdout + bad.stderr).not.toContain('secret-jaas-text');
    const flag = await outcome('npx', ['--no-install', 'mirrorkit-replicator', '--config'], dir);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--config needs a value/);
  }, 120_000);
});
