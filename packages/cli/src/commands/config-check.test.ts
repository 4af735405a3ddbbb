import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli-main.js';
import type { ConfigCheckResult } from './config-check.js';

const SEED = fileURLToPath(new URL('../../fixtures/seed-mm2.properties', import.meta.url));

/** Runs `mirrorkit <argv>` in-process and collects what it writes. */
async function run(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const stream = (append: (text: string) => void): NodeJS.WriteStream =>
    ({
      isTTY: false,
      write(chunk: string | Uint8Array): boolean {
        append(String(chunk));
        return true;
      },
    }) as unknown as NodeJS.WriteStream;
  const code = await runCli(argv, {
    stdout: stream((t) => {
      stdout += t;
    }),
    stderr: stream((t) => {
      stderr += t;
    }),
    env,
  });
  return { code, stdout, stderr };
}

function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

function writeConfig(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mirrorkit-config-check-')), 'mm2.properties');
  writeFileSync(file, text);
  return file;
}

describe('mirrorkit config check', () => {
  const seed = readFileSync(SEED, 'utf8');
  const commentLine = lineOf(seed, 'us-west->us-east.enabled');

  it('lists the Connect-only keys of the seed config as ignored, with a reason', async () => {
    const { code, stdout } = await run(['config', 'check', '--config', SEED, '--json']);
    const result = JSON.parse(stdout) as ConfigCheckResult;
    expect(code).toBe(4);
    expect(result.verdict).toBe('warn');
    for (const key of [
      'offset.storage.replication.factor',
      'config.storage.replication.factor',
      'status.storage.replication.factor',
      'key.converter',
      'value.converter',
    ]) {
      const entry = result.keys.find((k) => k.key === key);
      expect(entry?.ignored?.kind, key).toBe('connect-worker');
      expect(entry?.ignored?.reason, key).toMatch(/Connect/);
      expect(entry?.line, key).toBe(lineOf(seed, key));
    }
    const acls = result.keys.find((k) => k.key === 'sync.topic.acls.enabled');
    expect(acls?.ignored?.reason).toMatch(/ACLs/);
    // Every key of the file is listed, in line order.
    expect(result.keys.map((k) => k.line)).toEqual(
      [...result.keys.map((k) => k.line)].sort((a, b) => (a ?? 0) - (b ?? 0)),
    );
    expect(result.keys).toHaveLength(seed.split('\n').filter((l) => /^[^#!\s]/.test(l)).length);
  });

  it('warns of the inline comment with the full key and its line, and reads the flow as disabled', async () => {
    const { stdout } = await run(['config', 'check', '--config', SEED, '--json']);
    const result = JSON.parse(stdout) as ConfigCheckResult;
    const note = result.notes.find((n) => n.key === 'us-west->us-east.enabled');
    expect(note).toMatchObject({ key: 'us-west->us-east.enabled', line: commentLine, severity: 'warning' });
    expect(note?.message).toContain('# Disable for Active-Passive');
    expect(note?.message).toMatch(/inline comments/);
    const flow = result.keys.find((k) => k.key === 'us-west->us-east.enabled');
    expect(flow?.mirrorkit).toBe('us-west->us-east: does not replicate');
    expect(flow?.mm2Differs).toMatch(/heartbeats/);
    expect(result.keys.find((k) => k.key === 'us-east->us-west.enabled')?.mirrorkit).toBe(
      'us-east->us-west: replicates',
    );
  });

  it('prints an aligned table and the warning for people', async () => {
    const { code, stdout } = await run(['config', 'check', '--config', SEED]);
    expect(code).toBe(4);
    expect(stdout).toMatch(/LINE\s+KEY\s+VALUE\s+STATUS\s+MIRRORKIT READS/);
    expect(stdout).toMatch(/offset\.storage\.replication\.factor\s+3\s+ignored/);
    expect(stdout).toContain(`WARN  line ${commentLine}: us-west->us-east.enabled`);
    expect(stdout).toContain('Result: WARN');
    expect(stdout).not.toContain('\u001b[');
  });

  it('shows secrets redacted, and loudly flags a switch whose comment turns it off', async () => {
    const file = writeConfig(
      `${seed}us-east.security.protocol = SASL_SSL
us-east.sasl.mechanism = SCRAM-SHA-512
us-east.sasl.jaas.config = org.apache.kafka.common.security.scram.ScramLoginModule required username="mk" password="hunter2 # old";
us-east->us-west.sync.group.offsets.enabled = true
us-east->us-west.emit.heartbeats.enabled = true # keep beating
`,
    );
    const { stdout } = await run(['config', 'check', '--config', file, '--json']);
    expect(stdout).not.toContain('hunter2');
    const result = JSON.parse(stdout) as ConfigCheckResult;
    expect(result.keys.find((k) => k.key === 'us-east.sasl.jaas.config')?.value).toBe('[redacted]');
    const loud = result.notes.find((n) => n.key === 'us-east->us-west.emit.heartbeats.enabled');
    expect(loud?.severity).toBe('loud');
    expect(result.keys.find((k) => k.key === 'us-east->us-west.emit.heartbeats.enabled')?.mirrorkit).toBe(
      'us-east->us-west: no heartbeats',
    );
    const human = await run(['config', 'check', '--config', file]);
    expect(human.stdout).not.toContain('hunter2');
    expect(human.stdout).toMatch(/LOUD {2}line \d+: us-east->us-west\.emit\.heartbeats\.enabled/);
  });

  it('reports a connection the sidecar and the CLI refuse (JKS, Kerberos), naming the key and line', async () => {
    const file = writeConfig(
      `${seed}us-west.security.protocol = SASL_SSL
us-west.sasl.mechanism = GSSAPI
us-west.ssl.truststore.location = /etc/kafka/truststore.jks
`,
    );
    const { code, stdout } = await run(['config', 'check', '--config', file, '--json']);
    expect(code).toBe(4);
    const result = JSON.parse(stdout) as ConfigCheckResult;
    const problem = result.problems.find((p) => p.alias === 'us-west');
    expect(problem?.message).toMatch(
      new RegExp(
        `^line ${seed.split('\n').length + 2}: cluster us-west: us-west\\.ssl\\.truststore\\.location: .*PEM`,
      ),
    );
    const gssapi = writeConfig(
      `${seed}us-west.security.protocol = SASL_PLAINTEXT\nus-west.sasl.mechanism = GSSAPI\n`,
    );
    const kerberos = JSON.parse(
      (await run(['config', 'check', '--config', gssapi, '--json'])).stdout,
    ) as ConfigCheckResult;
    expect(kerberos.problems.find((p) => p.alias === 'us-west')?.message).toMatch(
      /us-west\.sasl\.mechanism: .*GSSAPI/,
    );
  });

  it('fails the check (exit 1) on a value MM2 would refuse, naming the full key and line', async () => {
    const file = writeConfig(`${seed}us-east->us-west.emit.checkpoints.interval.seconds = 10 # seconds\n`);
    const { code, stdout } = await run(['config', 'check', '--config', file, '--json']);
    expect(code).toBe(1);
    const result = JSON.parse(stdout) as ConfigCheckResult;
    expect(result.verdict).toBe('invalid');
    expect(result.error).toMatchObject({
      code: 'CONFIG_INVALID_VALUE',
      key: 'us-east->us-west.emit.checkpoints.interval.seconds',
      line: seed.split('\n').length,
    });
    expect(result.error?.message).toMatch(
      /^line \d+: us-east->us-west\.emit\.checkpoints\.interval\.seconds /,
    );
  });

  it('lists how the copies are compressed and which producer settings do nothing; refuses a codec Kafka lacks', async () => {
    const extra = 'us-west.producer.compression.type = zstd\nus-west.producer.linger.ms = 5\n';
    const ok = JSON.parse(
      (await run(['config', 'check', '--config', writeConfig(`${seed}${extra}`), '--json'])).stdout,
    ) as ConfigCheckResult;
    const byKey = new Map(ok.keys.map((k) => [k.key, k]));
    expect(byKey.get('us-west.producer.compression.type')).toMatchObject({ ignored: null });
    expect(byKey.get('us-west.producer.compression.type')?.mirrorkit).toMatch(
      /copies written to us-west zstd-compressed/,
    );
    expect(byKey.get('us-west.producer.linger.ms')?.ignored?.reason).toMatch(/sent at once/);
    const bad = writeConfig(`${seed}us-west.producer.compression.type = brotli\n`);
    const { code, stdout } = await run(['config', 'check', '--config', bad, '--json']);
    expect(code).toBe(1);
    expect((JSON.parse(stdout) as ConfigCheckResult).error).toMatchObject({
      key: 'us-west.producer.compression.type',
      line: seed.split('\n').length,
    });
  });

  it('is a usage error (exit 2) without a file, or for a JSON config; "config" alone names its subcommand', async () => {
    expect((await run(['config', 'check'])).code).toBe(2);
    expect((await run(['config', 'check', '--config', '/nonexistent/mm2.properties'])).code).toBe(2);
    expect((await run(['config', 'check', '--config', 'mirrorkit.json'])).code).toBe(2);
    const bare = await run(['config']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('config check');
    const env = await run(['config', 'check', '--json'], { MIRRORKIT_CONFIG: SEED });
    expect(env.code).toBe(4);
  });

  it('has help like every command', async () => {
    const help = await run(['config', 'check', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: mirrorkit config check [flags]');
    expect(help.stdout).toContain('Exit codes:');
  });
});
