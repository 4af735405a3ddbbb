import type { ConnectionOptions } from 'node:tls';

/**
 * Why a TLS setting cannot be used; the connection mapping turns it into a config error with the
 * cluster alias and line. The reason never quotes a value.
 */
export class TlsSettingProblem extends Error {
  constructor(
    /** The setting (without the cluster alias) at fault. */
    readonly key: string,
    readonly code:
      | 'CONFIG_UNSUPPORTED_SECURITY'
      | 'CONFIG_UNREADABLE_FILE'
      | 'CONFIG_MISSING'
      | 'CONFIG_INVALID_VALUE',
    readonly reason: string,
  ) {
    super(`${key}: ${reason}`);
    this.name = 'TlsSettingProblem';
  }
}

/** Reads a file a setting names; injected so the mapping stays free of I/O. */
export type ReadStoreFile = (path: string) => Buffer;

/** The subset of Node TLS options MirrorKit sets from Kafka's `ssl.*` keys. */
export type TlsOptions = Pick<
  ConnectionOptions,
  'ca' | 'cert' | 'key' | 'passphrase' | 'pfx' | 'checkServerIdentity'
>;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * PEM text as Kafka's PemStore accepts it inline in a properties file: newlines may have become
 * spaces or literal `\n`, so each block's base64 is re-wrapped. Returns the blocks by label.
 */
export function pemBlocks(text: string): { label: string; pem: string }[] {
  const out: { label: string; pem: string }[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const label = match[1] as string;
    const body = (match[2] as string).replace(/\\n/g, '').replace(/\s+/g, '');
    const lines = body.match(/.{1,64}/g) ?? [];
    out.push({ label, pem: `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----` });
  }
  return out;
}

function fail(key: string, code: TlsSettingProblem['code'], reason: string): never {
  throw new TlsSettingProblem(key, code, reason);
}

function storeType(settings: ReadonlyMap<string, string>, key: string): string {
  return (settings.get(key) ?? 'JKS').trim().toUpperCase();
}

function readStore(settings: ReadonlyMap<string, string>, key: string, read: ReadStoreFile): Buffer {
  const path = settings.get(key) as string;
  try {
    return read(path);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    fail(key, 'CONFIG_UNREADABLE_FILE', `the file cannot be read (${why})`);
  }
}

const JKS_HINT = 'Node.js cannot read JKS stores; convert it to PEM or PKCS12';

function keystore(settings: ReadonlyMap<string, string>, read: ReadStoreFile): TlsOptions {
  const location = settings.get('ssl.keystore.location');
  const inlineKey = settings.get('ssl.keystore.key');
  const inlineChain = settings.get('ssl.keystore.certificate.chain');
  if (location === undefined && inlineKey === undefined && inlineChain === undefined) return {};
  const type = storeType(settings, 'ssl.keystore.type');
  if (type === 'PKCS12') {
    if (location === undefined)
      fail('ssl.keystore.location', 'CONFIG_MISSING', 'a PKCS12 key store needs ssl.keystore.location');
    const password = settings.get('ssl.keystore.password');
    const pfx = readStore(settings, 'ssl.keystore.location', read);
    return password === undefined ? { pfx } : { pfx, passphrase: password };
  }
  if (type !== 'PEM')
    fail(
      // A defaulted (JKS) type has no line; the location is what the file says.
      settings.has('ssl.keystore.type') || location === undefined
        ? 'ssl.keystore.type'
        : 'ssl.keystore.location',
      'CONFIG_UNSUPPORTED_SECURITY',
      `${type === 'JKS' ? JKS_HINT : `key store type ${type} is not supported`} (PEM or PKCS12)`,
    );
  let text: string;
  if (location !== undefined) {
    if (inlineKey !== undefined || inlineChain !== undefined)
      fail(
        'ssl.keystore.location',
        'CONFIG_INVALID_VALUE',
        'give either ssl.keystore.location or ssl.keystore.key with ssl.keystore.certificate.chain, not both',
      );
    text = readStore(settings, 'ssl.keystore.location', read).toString('utf8');
  } else {
    if (inlineKey === undefined)
      fail('ssl.keystore.key', 'CONFIG_MISSING', 'ssl.keystore.certificate.chain needs ssl.keystore.key');
    if (inlineChain === undefined)
      fail(
        'ssl.keystore.certificate.chain',
        'CONFIG_MISSING',
        'ssl.keystore.key needs ssl.keystore.certificate.chain',
      );
    text = `${inlineKey}\n${inlineChain}`;
  }
  const keyKey = location !== undefined ? 'ssl.keystore.location' : 'ssl.keystore.key';
  const chainKey = location !== undefined ? 'ssl.keystore.location' : 'ssl.keystore.certificate.chain';
  const blocks = pemBlocks(text);
  const keys = blocks.filter((b) => b.label.endsWith('PRIVATE KEY'));
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
  if (keys.length !== 1)
    fail(keyKey, 'CONFIG_INVALID_VALUE', `expected one PEM private key, found ${keys.length}`);
  if (certs.length === 0)
    fail(chainKey, 'CONFIG_INVALID_VALUE', 'expected a PEM certificate chain, found no certificate');
  const key = keys[0] as { label: string; pem: string };
  const password = settings.get('ssl.key.password');
  if (key.label === 'ENCRYPTED PRIVATE KEY' && password === undefined)
    fail('ssl.key.password', 'CONFIG_MISSING', 'the PEM private key is encrypted; set ssl.key.password');
  const out: TlsOptions = { key: key.pem, cert: certs.map((c) => c.pem).join('\n') };
  return password === undefined ? out : { ...out, passphrase: password };
}

function truststore(settings: ReadonlyMap<string, string>, read: ReadStoreFile): TlsOptions {
  const location = settings.get('ssl.truststore.location');
  const inline = settings.get('ssl.truststore.certificates');
  if (location === undefined && inline === undefined) return {};
  const type = storeType(settings, 'ssl.truststore.type');
  if (type !== 'PEM')
    fail(
      settings.has('ssl.truststore.type') || location === undefined
        ? 'ssl.truststore.type'
        : 'ssl.truststore.location',
      'CONFIG_UNSUPPORTED_SECURITY',
      type === 'JKS'
        ? 'Node.js cannot read JKS stores; convert it to PEM (ssl.truststore.type=PEM)'
        : `trust store type ${type} cannot be read by Node.js; use ssl.truststore.type=PEM`,
    );
  if (location !== undefined && inline !== undefined)
    fail(
      'ssl.truststore.location',
      'CONFIG_INVALID_VALUE',
      'give either ssl.truststore.location or ssl.truststore.certificates, not both',
    );
  const key = location !== undefined ? 'ssl.truststore.location' : 'ssl.truststore.certificates';
  const text = location !== undefined ? readStore(settings, key, read).toString('utf8') : (inline as string);
  const certs = pemBlocks(text).filter((b) => b.label === 'CERTIFICATE');
  if (certs.length === 0) fail(key, 'CONFIG_INVALID_VALUE', 'expected PEM certificates, found none');
  return { ca: certs.map((c) => c.pem) };
}

/**
 * Node TLS options from Kafka's `ssl.*` client keys, with DefaultSslEngineFactory's meanings: a
 * PEM key store (`ssl.keystore.location`, or inline `ssl.keystore.key` + `ssl.keystore.certificate.chain`,
 * `ssl.key.password` for an encrypted PKCS#8 key) or a PKCS12 one (`ssl.keystore.password`) for
 * mutual TLS; a PEM trust store (file or inline `ssl.truststore.certificates`), the system's CAs
 * without one; host names verified unless `ssl.endpoint.identification.algorithm` is empty.
 * Throws a {@link TlsSettingProblem} (never quoting a value) for what it cannot honour.
 */
export function tlsMaterial(settings: ReadonlyMap<string, string>, read: ReadStoreFile): TlsOptions {
  const out: TlsOptions = { ...truststore(settings, read), ...keystore(settings, read) };
  const algorithm = (settings.get('ssl.endpoint.identification.algorithm') ?? 'https').trim();
  if (algorithm === '') return { ...out, checkServerIdentity: () => undefined };
  if (algorithm.toLowerCase() !== 'https')
    fail(
      'ssl.endpoint.identification.algorithm',
      'CONFIG_UNSUPPORTED_SECURITY',
      'only https (verify the host name) or empty (do not) are supported',
    );
  return out;
}
