import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReplicator } from '@mirrorkit/replicator';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-main.js';

const SECRET = 's3cr3t-XYZ';
const SCRAM = 'org.apache.kafka.common.security.scram.ScramLoginModule';
const PLAIN = 'org.apache.kafka.common.security.plain.PlainLoginModule';
const dir = mkdtempSync(join(tmpdir(), 'mirrorkit-leaks-'));

async function run(argv: readonly string[]): Promise<{ code: number; output: string }> {
  let output = '';
  const stream = {
    isTTY: false,
    write(chunk: string | Uint8Array): boolean {
      output += String(chunk);
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  const code = await runCli(argv, { stdout: stream, stderr: stream, env: { PW: SECRET } });
  return { code, output };
}

const HEADER = [
  'clusters = a, b',
  'a.bootstrap.servers = a:9093',
  'b.bootstrap.servers = b:9092',
  'a->b.enabled = true',
];

// Every refusal path known for a file holding a secret: each must fail without echoing it.
const MM2_FILES: Record<string, string[]> = {
  'malformed \\u in a password': [`a.ssl.keystore.password = ${SECRET}\\u12x4`],
  'malformed \\u in a JAAS value': [`a.sasl.jaas.config = ${SCRAM} required password="${SECRET}\\uZZZZ";`],
  'unterminated JAAS quote': [
    'a.security.protocol = SASL_SSL',
    'a.sasl.mechanism = SCRAM-SHA-512',
    `a.sasl.jaas.config = ${SCRAM} required username="u" password="${SECRET}`,
  ],
  'JAAS without a password': [
    'a.security.protocol = SASL_SSL',
    'a.sasl.mechanism = PLAIN',
    `a.sasl.jaas.config = ${PLAIN} required username="${SECRET}";`,
  ],
  'login module not matching the mechanism': [
    'a.security.protocol = SASL_SSL',
    'a.sasl.mechanism = SCRAM-SHA-512',
    `a.sasl.jaas.config = ${PLAIN} required username="u" password="${SECRET}";`,
  ],
  'GSSAPI with a JAAS secret': [
    'a.security.protocol = SASL_SSL',
    `a.sasl.jaas.config = ${SCRAM} required username="u" password="${SECRET}";`,
  ],
  'JKS key store with a password': [
    'a.security.protocol = SSL',
    'a.ssl.keystore.location = /nowhere/ks.jks',
    `a.ssl.keystore.password = ${SECRET}`,
    `a.ssl.key.password = ${SECRET}`,
  ],
  'unreadable PKCS12 key store': [
    'a.security.protocol = SSL',
    'a.ssl.keystore.type = PKCS12',
    'a.ssl.keystore.location = /nowhere/ks.p12',
    `a.ssl.keystore.password = ${SECRET}`,
  ],
  'inline key without a chain': [
    'a.security.protocol = SSL',
    'a.ssl.keystore.type = PEM',
    `a.ssl.keystore.key = -----BEGIN PRIVATE KEY----- ${SECRET} -----END PRIVATE KEY-----`,
  ],
  'malformed inline key': [
    'a.security.protocol = SSL',
    'a.ssl.keystore.type = PEM',
    `a.ssl.keystore.key = ${SECRET}`,
    'a.ssl.keystore.certificate.chain = -----BEGIN CERTIFICATE----- QQ== -----END CERTIFICATE-----',
  ],
  'encrypted key without ssl.key.password': [
    'a.security.protocol = SSL',
    'a.ssl.keystore.type = PEM',
    `a.ssl.keystore.key = -----BEGIN ENCRYPTED PRIVATE KEY----- ${SECRET} -----END ENCRYPTED PRIVATE KEY-----`,
    'a.ssl.keystore.certificate.chain = -----BEGIN CERTIFICATE----- QQ== -----END CERTIFICATE-----',
  ],
  'missing environment variable next to a secret': [
    `a.ssl.truststore.password = ${SECRET}`,
    `a.sasl.jaas.config = ${'$'}{env:NOT_SET}`,
  ],
};

const JSON_FILES: Record<string, string> = {
  'a syntax error after a password': `{"clusters": {"a": {"brokers": ["a:9092"], "sasl": {"mechanism": "plain", "username": "u", "password": "${SECRET}" oops}}}}`,
  'JSON cut off inside a password': `{"clusters": {"a": {"brokers": ["a:9092"], "sasl": {"password": "${SECRET}`,
  'a stray character before a password': `{"clusters": {"a": {"sasl": {"password": x"${SECRET}"}}}}`,
};

describe('no secret in any error', () => {
  const cases = [
    ...Object.entries(MM2_FILES).map(
      ([what, lines]) => [what, 'properties', [...HEADER, ...lines].join('\n')] as const,
    ),
    ...Object.entries(JSON_FILES).map(([what, text]) => [what, 'json', text] as const),
  ];
  for (const [what, ext, text] of cases) {
    for (const command of [['status'], ['config', 'check'], ['validate']]) {
      it(`${command.join(' ')} refuses ${what} (${ext}) without echoing the secret, human and --json`, async () => {
        const file = join(dir, `${what.replace(/\W+/g, '-')}.${ext}`);
        writeFileSync(file, text);
        for (const json of [[], ['--json']]) {
          const { code, output } = await run([...command, '--config', file, ...json]);
          expect(output).not.toContain(SECRET);
          expect(output).not.toContain('s3cr3t');
          // config check reports problems and still exits 0 only when it could read the file.
          if (command[0] !== 'config') expect(code).not.toBe(0);
        }
      });
    }
  }

  for (const [what, lines] of Object.entries(MM2_FILES)) {
    it(`the replicator refuses ${what} without logging or throwing the secret`, async () => {
      const logged: unknown[] = [];
      const log = {
        info: (message: string, fields?: Record<string, unknown>) => logged.push(message, fields),
        warn: (message: string, fields?: Record<string, unknown>) => logged.push(message, fields),
        error: (message: string, fields?: Record<string, unknown>) => logged.push(message, fields),
      };
      let thrown: unknown;
      try {
        const replicator = await startReplicator({ properties: [...HEADER, ...lines].join('\n'), log });
        await replicator.stop();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(Error);
      const error = thrown as Error & { cause?: unknown };
      expect(`${error.message} ${String(error.stack)} ${JSON.stringify(error)}`).not.toContain('s3cr3t');
      expect(JSON.stringify(logged)).not.toContain('s3cr3t');
    });
  }
});
