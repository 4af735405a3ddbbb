import { describe, expect, it } from 'vitest';
import { MirrorKitConfigError } from './config-error.js';
import { kafkaConnection } from './kafka-connection.js';
import { parseMirrorMakerProperties } from './mm2-properties.js';
import type { ReadStoreFile } from './tls-material.js';

const SCRAM = 'org.apache.kafka.common.security.scram.ScramLoginModule';
const PLAIN = 'org.apache.kafka.common.security.plain.PlainLoginModule';
const CERT = '-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----';
const CA = '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----';
const KEY = '-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----';
const ENCRYPTED_KEY = '-----BEGIN ENCRYPTED PRIVATE KEY-----\nRU5D\n-----END ENCRYPTED PRIVATE KEY-----';

const files: Record<string, string> = {
  '/pem/keystore.pem': `${KEY}\n${CERT}\n${CA}\n`,
  '/pem/encrypted.pem': `${ENCRYPTED_KEY}\n${CERT}`,
  '/pem/ca.pem': CA,
  '/p12/keystore.p12': 'PKCS12-BYTES',
};
const readFile: ReadStoreFile = (path) => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return Buffer.from(text);
};

/** The connection of cluster `a` from mm2.properties lines (cluster `b` is plain). */
function connect(...lines: string[]) {
  const mm2 = parseMirrorMakerProperties(
    [
      'clusters = a, b',
      'a.bootstrap.servers = a1:9093',
      'b.bootstrap.servers = b:9092',
      'a->b.enabled = true',
      ...lines,
    ].join('\n'),
  );
  return kafkaConnection(mm2.clusterConfigs.get('a') as never, mm2, { readFile, clientId: 'test' });
}

function refusal(...lines: string[]): MirrorKitConfigError {
  try {
    connect(...lines);
  } catch (error) {
    if (error instanceof MirrorKitConfigError) return error;
    throw error;
  }
  throw new Error('expected a MirrorKitConfigError');
}

describe('kafkaConnection: mapping', () => {
  it('connects in plaintext by default', () => {
    const { config, unsupported } = connect();
    expect(config).toEqual({ brokers: ['a1:9093'], clientId: 'test' });
    expect(unsupported).toEqual([]);
  });

  it('maps SCRAM-SHA-512 and SCRAM-SHA-256 and PLAIN credentials, unescaped', () => {
    expect(
      connect(
        'a.security.protocol = SASL_PLAINTEXT',
        'a.sasl.mechanism = SCRAM-SHA-512',
        `a.sasl.jaas.config = ${SCRAM} required username="svc" password="p\\\\"w\\\\\\\\d=;x y";`,
      ).config.sasl,
    ).toEqual({ mechanism: 'scram-sha-512', username: 'svc', password: 'p"w\\d=;x y' });
    expect(
      connect(
        'a.security.protocol = SASL_PLAINTEXT',
        'a.sasl.mechanism = scram-sha-256',
        `a.sasl.jaas.config = ${SCRAM} required username="u" password="p";`,
      ).config.sasl,
    ).toEqual({ mechanism: 'scram-sha-256', username: 'u', password: 'p' });
    expect(
      connect(
        'security.protocol = SASL_SSL',
        'sasl.mechanism = PLAIN',
        `sasl.jaas.config = ${PLAIN} required username="u" password="p";`,
      ).config,
    ).toMatchObject({ ssl: true, sasl: { mechanism: 'plain', username: 'u', password: 'p' } });
  });

  it('uses the system CAs and verifies host names by default', () => {
    expect(connect('a.security.protocol = SSL').config.ssl).toBe(true);
  });

  it('reads a PEM trust store from a file or inline, newlines as spaces or \\n', () => {
    expect(
      connect(
        'a.security.protocol = SSL',
        'a.ssl.truststore.type = PEM',
        'a.ssl.truststore.location = /pem/ca.pem',
      ).config.ssl,
    ).toEqual({
      ca: [CA],
    });
    expect(
      connect(
        'a.security.protocol = SSL',
        'a.ssl.truststore.type = PEM',
        'a.ssl.truststore.certificates = -----BEGIN CERTIFICATE----- Q0 E= -----END CERTIFICATE-----',
      ).config.ssl,
    ).toEqual({ ca: [CA] });
    expect(
      connect(
        'a.security.protocol = SSL',
        'a.ssl.truststore.type = PEM',
        'a.ssl.truststore.certificates = -----BEGIN CERTIFICATE-----\\\\nQ0E=\\\\n-----END CERTIFICATE-----',
      ).config.ssl,
    ).toEqual({ ca: [CA] });
  });

  it('sets up mutual TLS from a PEM key store file: key, and the whole chain as cert', () => {
    expect(
      connect(
        'a.security.protocol = SSL',
        'a.ssl.keystore.type = PEM',
        'a.ssl.keystore.location = /pem/keystore.pem',
      ).config.ssl,
    ).toEqual({ key: KEY, cert: `${CERT}\n${CA}` });
  });

  it('sets up mutual TLS from an inline PEM key and chain, and an encrypted key with ssl.key.password', () => {
    expect(
      connect(
        'a.security.protocol = SSL',
        'a.ssl.keystore.type = PEM',
        'a.ssl.keystore.key = -----BEGIN ENCRYPTED PRIVATE KEY----- RU5D -----END ENCRYPTED PRIVATE KEY-----',
        'a.ssl.keystore.certificate.chain = -----BEGIN CERTIFICATE----- Q0VSVA== -----END CERTIFICATE-----',
        'a.ssl.key.password = k3y',
      ).config.ssl,
    ).toEqual({ key: ENCRYPTED_KEY, cert: CERT, passphrase: 'k3y' });
  });

  it('reads a PKCS12 key store as pfx with ssl.keystore.password', () => {
    const ssl = connect(
      'a.security.protocol = SSL',
      'a.ssl.keystore.type = PKCS12',
      'a.ssl.keystore.location = /p12/keystore.p12',
      'a.ssl.keystore.password = st0re',
    ).config.ssl as { pfx: Buffer; passphrase: string };
    expect(ssl.pfx.toString()).toBe('PKCS12-BYTES');
    expect(ssl.passphrase).toBe('st0re');
  });

  it('skips host name verification only when ssl.endpoint.identification.algorithm is empty', () => {
    const ssl = connect('a.security.protocol = SSL', 'a.ssl.endpoint.identification.algorithm =').config
      .ssl as {
      checkServerIdentity: () => unknown;
    };
    expect(ssl.checkServerIdentity()).toBeUndefined();
    expect(
      connect('a.security.protocol = SSL', 'a.ssl.endpoint.identification.algorithm = https').config.ssl,
    ).toBe(true);
  });

  it('ignores TLS and SASL settings under a protocol that does not use them, as Kafka does', () => {
    expect(connect('a.ssl.truststore.location = /missing.jks').config.ssl).toBeUndefined();
    const { config, unsupported } = connect(
      'a.security.protocol = SSL',
      'a.sasl.oauthbearer.scope.claim.name = x',
    );
    expect(config.sasl).toBeUndefined();
    expect(unsupported.map((u) => u.key)).toEqual(['a.sasl.oauthbearer.scope.claim.name']);
  });

  it('lets a cluster override top-level security settings', () => {
    const mm2 = parseMirrorMakerProperties(
      [
        'clusters = a, b',
        'a.bootstrap.servers = a:1',
        'b.bootstrap.servers = b:1',
        'security.protocol = SSL',
        'b.security.protocol = PLAINTEXT',
      ].join('\n'),
    );
    expect(kafkaConnection(mm2.clusterConfigs.get('a') as never, mm2).config.ssl).toBe(true);
    expect(kafkaConnection(mm2.clusterConfigs.get('b') as never, mm2).config.ssl).toBeUndefined();
  });

  it('reports TLS tuning it cannot apply, with the line, instead of refusing', () => {
    const { unsupported } = connect(
      'a.security.protocol = SSL',
      'a.ssl.cipher.suites = TLS_AES_128_GCM_SHA256',
    );
    expect(unsupported.map((u) => [u.key, u.line])).toEqual([['a.ssl.cipher.suites', 6]]);
  });
});

describe('kafkaConnection: fails closed', () => {
  it('refuses an unknown security.protocol, with its line', () => {
    const error = refusal('a.security.protocol = TLS');
    expect(error.code).toBe('CONFIG_INVALID_VALUE');
    expect(error.line).toBe(5);
    expect(error.message).toContain('a.security.protocol');
  });

  const jaas = (module: string) =>
    `a.sasl.jaas.config = ${module} required username="u" password="s3cr3t-XYZ";`;
  it.each([
    [
      'GSSAPI (the default mechanism)',
      ['a.security.protocol = SASL_SSL', jaas(SCRAM)],
      'a.sasl.mechanism',
      'CONFIG_UNSUPPORTED_SECURITY',
    ],
    [
      'OAUTHBEARER',
      ['a.security.protocol = SASL_SSL', 'a.sasl.mechanism = OAUTHBEARER', jaas(SCRAM)],
      'a.sasl.mechanism',
      'CONFIG_UNSUPPORTED_SECURITY',
    ],
    [
      'an unknown mechanism',
      ['a.security.protocol = SASL_SSL', 'a.sasl.mechanism = s3cr3t-XYZ', jaas(SCRAM)],
      'a.sasl.mechanism',
      'CONFIG_UNSUPPORTED_SECURITY',
    ],
    [
      'SASL without sasl.jaas.config',
      ['a.security.protocol = SASL_SSL', 'a.sasl.mechanism = PLAIN'],
      'a.sasl.jaas.config',
      'CONFIG_MISSING',
    ],
    [
      'JAAS without a password',
      [
        'a.security.protocol = SASL_SSL',
        'a.sasl.mechanism = PLAIN',
        `a.sasl.jaas.config = ${PLAIN} required username="s3cr3t-XYZ";`,
      ],
      'a.sasl.jaas.config',
      'CONFIG_MISSING',
    ],
    [
      'PlainLoginModule with SCRAM',
      ['a.security.protocol = SASL_SSL', 'a.sasl.mechanism = SCRAM-SHA-512', jaas(PLAIN)],
      'a.sasl.jaas.config',
      'CONFIG_INVALID_VALUE',
    ],
    [
      'malformed JAAS',
      [
        'a.security.protocol = SASL_SSL',
        'a.sasl.mechanism = PLAIN',
        `a.sasl.jaas.config = ${PLAIN} required password="s3cr3t-XYZ`,
      ],
      'a.sasl.jaas.config',
      'CONFIG_INVALID_VALUE',
    ],
    [
      'a JKS key store',
      [
        'a.security.protocol = SSL',
        'a.ssl.keystore.location = /ks.jks',
        'a.ssl.keystore.password = s3cr3t-XYZ',
      ],
      'a.ssl.keystore.location',
      'CONFIG_UNSUPPORTED_SECURITY',
    ],
    [
      'a JKS trust store',
      ['a.security.protocol = SSL', 'a.ssl.truststore.location = /ts.jks'],
      'a.ssl.truststore.location',
      'CONFIG_UNSUPPORTED_SECURITY',
    ],
    [
      'an explicit JKS key store type',
      ['a.security.protocol = SSL', 'a.ssl.keystore.type = JKS', 'a.ssl.keystore.location = /ks.jks'],
      'a.ssl.keystore.type',
      'CONFIG_UNSUPPORTED_SECURITY',
    ],
    [
      'a PKCS12 trust store',
      ['a.security.protocol = SSL', 'a.ssl.truststore.type = PKCS12', 'a.ssl.truststore.location = /ts.p12'],
      'a.ssl.truststore.type',
      'CONFIG_UNSUPPORTED_SECURITY',
    ],
    [
      'an unreadable key store',
      ['a.security.protocol = SSL', 'a.ssl.keystore.type = PEM', 'a.ssl.keystore.location = /s3cr3t-XYZ.pem'],
      'a.ssl.keystore.location',
      'CONFIG_UNREADABLE_FILE',
    ],
    [
      'an unreadable trust store',
      ['a.security.protocol = SSL', 'a.ssl.truststore.type = PEM', 'a.ssl.truststore.location = /nope.pem'],
      'a.ssl.truststore.location',
      'CONFIG_UNREADABLE_FILE',
    ],
    [
      'an encrypted key without ssl.key.password',
      [
        'a.security.protocol = SSL',
        'a.ssl.keystore.type = PEM',
        'a.ssl.keystore.location = /pem/encrypted.pem',
      ],
      'a.ssl.key.password',
      'CONFIG_MISSING',
    ],
    [
      'an inline key without a chain',
      [
        'a.security.protocol = SSL',
        'a.ssl.keystore.type = PEM',
        'a.ssl.keystore.key = -----BEGIN PRIVATE KEY----- s3cr3t-XYZ -----END PRIVATE KEY-----',
      ],
      'a.ssl.keystore.certificate.chain',
      'CONFIG_MISSING',
    ],
    [
      'an inline key that is no PEM key',
      [
        'a.security.protocol = SSL',
        'a.ssl.keystore.type = PEM',
        'a.ssl.keystore.key = s3cr3t-XYZ',
        `a.ssl.keystore.certificate.chain = ${CERT.replace(/\n/g, ' ')}`,
      ],
      'a.ssl.keystore.key',
      'CONFIG_INVALID_VALUE',
    ],
    [
      'an unknown endpoint identification algorithm',
      ['a.security.protocol = SSL', 'a.ssl.endpoint.identification.algorithm = s3cr3t-XYZ'],
      'a.ssl.endpoint.identification.algorithm',
      'CONFIG_UNSUPPORTED_SECURITY',
    ],
    [
      'a security setting it does not know',
      [
        'a.security.protocol = SASL_SSL',
        'a.sasl.mechanism = PLAIN',
        jaas(PLAIN),
        'a.sasl.oauthbearer.token.endpoint.url = s3cr3t-XYZ',
      ],
      'a.sasl.oauthbearer.token.endpoint.url',
      'CONFIG_UNSUPPORTED_SECURITY',
    ],
  ])('refuses %s, naming the cluster, key and line but not the value', (_what, lines, key, code) => {
    const error = refusal(...lines);
    expect(error.code).toBe(code);
    expect(error.key).toBe(key);
    const index = lines.findIndex((l) => l.startsWith(key));
    expect(error.line).toBe(index < 0 ? undefined : 5 + index);
    expect(error.message).toContain('cluster a');
    expect(error.message).toContain(key);
    expect(error.message).not.toContain('s3cr3t');
  });
});
