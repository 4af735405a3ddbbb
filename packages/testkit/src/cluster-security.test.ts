import { describe, expect, it } from 'vitest';
import { clusterSecurity, secureBrokerProperties } from './cluster-security.js';
import type { TlsMaterial } from './tls-certificates.js';

const tls = {
  caPem: 'CA',
  caFile: '/run/ca.crt',
  clientCertPem: 'CERT',
  clientKeyPem: 'KEY',
  brokerKeystorePemFile: '/run/broker-keystore.pem',
} as TlsMaterial;

describe('secure listener settings', () => {
  it('require a client certificate on SSL and offer no SASL', () => {
    const props = secureBrokerProperties('SSL', tls);
    expect(props['listener.name.secure.ssl.client.auth']).toBe('required');
    expect(props['sasl.enabled.mechanisms']).toBeUndefined();
    expect(clusterSecurity('SSL', tls, undefined).kafkajsSsl).toEqual({
      ca: ['CA'],
      cert: 'CERT',
      key: 'KEY',
    });
  });

  it('enable only SCRAM-SHA-512 on SASL_SSL, with no client certificate asked or sent', () => {
    const props = secureBrokerProperties('SASL_SSL', tls);
    expect(props['sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512');
    expect(props['listener.name.secure.ssl.client.auth']).toBeUndefined();
    const security = clusterSecurity('SASL_SSL', tls, {
      mechanism: 'scram-sha-512',
      username: 'u',
      password: 'p',
    });
    expect(security.kafkajsSsl).toEqual({ ca: ['CA'] });
    expect(security.kafkajsSasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
  });
});
