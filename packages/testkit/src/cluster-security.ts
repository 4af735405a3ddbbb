import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import type { ScramUser } from './scram-users.js';
import type { TlsMaterial } from './tls-certificates.js';

/** The security a testkit cluster's client listener enforces. */
export type ClusterSecurityProtocol = 'SASL_SSL' | 'SSL';

/** Listener name of the secure client listener; inter-broker and controller traffic stay on PLAINTEXT. */
export const SECURE_LISTENER = 'SECURE';

/** What a client needs for a secure testkit cluster. */
export interface ClusterSecurity {
  readonly protocol: ClusterSecurityProtocol;
  /** Certificates and stores; the client certificate is required by `SSL` clusters and unused by `SASL_SSL`. */
  readonly tls: TlsMaterial;
  /** The SCRAM-SHA-512 user of a `SASL_SSL` cluster. */
  readonly scram: ScramUser | undefined;
  /** Ready-made kafkajs `ssl` option: trusts the CA, and presents the client certificate on `SSL` clusters. */
  readonly kafkajsSsl: ConnectionOptions;
  /** Ready-made kafkajs `sasl` option on `SASL_SSL` clusters. */
  readonly kafkajsSasl: SASLOptions | undefined;
}

/** `server.properties` entries that turn the `SECURE` listener on; the caller adds it to `listeners`. */
export function secureBrokerProperties(
  protocol: ClusterSecurityProtocol,
  tls: TlsMaterial,
): Record<string, string> {
  const prefix = `listener.name.${SECURE_LISTENER.toLowerCase()}`;
  const props: Record<string, string> = {
    [`${prefix}.ssl.keystore.type`]: 'PEM',
    [`${prefix}.ssl.keystore.location`]: tls.brokerKeystorePemFile,
    [`${prefix}.ssl.truststore.type`]: 'PEM',
    [`${prefix}.ssl.truststore.location`]: tls.caFile,
  };
  if (protocol === 'SSL') {
    // Without a client certificate the handshake fails: that is what makes the SSL cluster fail closed.
    props[`${prefix}.ssl.client.auth`] = 'required';
  } else {
    props['sasl.enabled.mechanisms'] = 'SCRAM-SHA-512';
    props[`${prefix}.scram-sha-512.sasl.jaas.config`] =
      'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  }
  return props;
}

/** Builds the {@link ClusterSecurity} handed to tests. */
export function clusterSecurity(
  protocol: ClusterSecurityProtocol,
  tls: TlsMaterial,
  scram: ScramUser | undefined,
): ClusterSecurity {
  const kafkajsSsl: ConnectionOptions =
    protocol === 'SSL'
      ? { ca: [tls.caPem], cert: tls.clientCertPem, key: tls.clientKeyPem }
      : { ca: [tls.caPem] };
  const kafkajsSasl: SASLOptions | undefined = scram
    ? { mechanism: 'scram-sha-512', username: scram.username, password: scram.password }
    : undefined;
  return { protocol, tls, scram, kafkajsSsl, kafkajsSasl };
}
