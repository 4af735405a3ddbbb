import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestkitError } from './testkit-error.js';

const run = promisify(execFile);

/** What a client needs to reach a TLS listener of a testkit cluster. All files live in the cluster's folder. */
export interface TlsMaterial {
  /** The run's CA certificate (PEM); trust it to verify the broker. */
  readonly caPem: string;
  readonly caFile: string;
  /** A client certificate signed by the CA, for listeners that require one (PEM). */
  readonly clientCertPem: string;
  readonly clientCertFile: string;
  /** The client certificate's unencrypted PKCS#8 key (PEM). */
  readonly clientKeyPem: string;
  readonly clientKeyFile: string;
  /** Client key followed by its certificate in one PEM file, the shape of Kafka's `ssl.keystore.type=PEM`. */
  readonly clientKeystorePemFile: string;
  /** PKCS12 truststore with the CA, for Java clients. */
  readonly truststoreP12File: string;
  /** PKCS12 keystore with the client key and certificate, for Java clients. */
  readonly keystoreP12File: string;
  /** Password of both PKCS12 stores (a random test value). */
  readonly storePassword: string;
  /** Broker key followed by its certificate (PEM), for the broker's own `ssl.keystore.location`. */
  readonly brokerKeystorePemFile: string;
}

async function openssl(args: readonly string[], what: string): Promise<void> {
  try {
    await run('openssl', [...args], { timeout: 30_000 });
  } catch {
    // stderr of openssl names files and steps, never key material, but the store password is an
    // argument: report only what failed.
    throw new TestkitError('TESTKIT_START_FAILED', `openssl failed while ${what}`);
  }
}

async function keytool(args: readonly string[]): Promise<void> {
  try {
    await run('keytool', [...args], { timeout: 60_000 });
  } catch {
    throw new TestkitError('TESTKIT_START_FAILED', 'keytool failed while writing the PKCS12 truststore');
  }
}

async function newKey(file: string): Promise<void> {
  // P-256 keys take milliseconds where RSA takes a noticeable share of a test's budget.
  await openssl(
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file],
    'making a key',
  );
}

async function signedCert(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  const key = join(dir, `${name}.key`);
  await newKey(key);
  await openssl(
    ['req', '-new', '-key', key, '-subj', subject, '-out', join(dir, `${name}.csr`)],
    `requesting ${name}`,
  );
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, extensions);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      join(dir, `${name}.csr`),
      '-CA',
      join(dir, 'ca.crt'),
      '-CAkey',
      join(dir, 'ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-sha256',
      '-extfile',
      extFile,
      '-out',
      join(dir, `${name}.crt`),
    ],
    `signing ${name}`,
  );
}

/**
 * Generates a CA, a broker certificate for `localhost` and 127.0.0.1, and a client certificate, with
 * openssl, into `dir`. Fresh per cluster so nothing outlives the cluster's folder.
 */
export async function generateTlsMaterial(dir: string): Promise<TlsMaterial> {
  mkdirSync(dir, { recursive: true });
  await newKey(join(dir, 'ca.key'));
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      join(dir, 'ca.key'),
      '-subj',
      '/CN=MirrorKit testkit CA',
      '-days',
      '2',
      '-sha256',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      join(dir, 'ca.crt'),
    ],
    'making the CA',
  );
  await Promise.all([
    signedCert(
      dir,
      'broker',
      '/CN=localhost',
      'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n',
    ),
    signedCert(dir, 'client', '/CN=mirrorkit-client', 'extendedKeyUsage=clientAuth\n'),
  ]);
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
  const brokerKeystorePemFile = join(dir, 'broker-keystore.pem');
  writeFileSync(brokerKeystorePemFile, read('broker.key') + read('broker.crt'));
  const clientKeystorePemFile = join(dir, 'client-keystore.pem');
  writeFileSync(clientKeystorePemFile, read('client.key') + read('client.crt'));

  const storePassword = randomBytes(12).toString('hex');
  const passFile = join(dir, 'store.pass');
  writeFileSync(passFile, storePassword, { mode: 0o600 });
  const keystoreP12File = join(dir, 'client-keystore.p12');
  const truststoreP12File = join(dir, 'truststore.p12');
  await Promise.all([
    openssl(
      [
        'pkcs12',
        '-export',
        '-inkey',
        join(dir, 'client.key'),
        '-in',
        join(dir, 'client.crt'),
        '-certfile',
        join(dir, 'ca.crt'),
        '-name',
        'client',
        '-passout',
        `file:${passFile}`,
        '-out',
        keystoreP12File,
      ],
      'writing the PKCS12 keystore',
    ),
    // openssl before 3.2 cannot mark a PKCS12 certificate as trusted for Java; keytool can.
    keytool([
      '-importcert',
      '-noprompt',
      '-alias',
      'ca',
      '-file',
      join(dir, 'ca.crt'),
      '-keystore',
      truststoreP12File,
      '-storetype',
      'PKCS12',
      '-storepass:file',
      passFile,
    ]),
  ]);
  return {
    caPem: read('ca.crt'),
    caFile: join(dir, 'ca.crt'),
    clientCertPem: read('client.crt'),
    clientCertFile: join(dir, 'client.crt'),
    clientKeyPem: read('client.key'),
    clientKeyFile: join(dir, 'client.key'),
    clientKeystorePemFile,
    truststoreP12File,
    keystoreP12File,
    storePassword,
    brokerKeystorePemFile,
  };
}
