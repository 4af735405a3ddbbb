import { describe, expect, it } from 'vitest';
import {
  loadCliConfig,
  parseClustersFlag,
  parseJsonConfig,
  parseMirrorMakerConfig,
  requireAlias,
} from './cli-config.js';
import { MirrorKitCliError } from './cli-error.js';

function configError(fn: () => unknown): MirrorKitCliError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MirrorKitCliError);
    expect((error as MirrorKitCliError).exitCode).toBe(2);
    return error as MirrorKitCliError;
  }
  throw new Error('expected an error');
}

const MM2 = `clusters = us-east, us-west
us-east.bootstrap.servers = east-1:9092
us-west.bootstrap.servers = west-1:9092
us-east->us-west.enabled = true
us-east->us-west.topics = orders.*
replication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy
us-west.security.protocol = SASL_SSL
us-west.sasl.mechanism = SCRAM-SHA-512
us-west.sasl.jaas.config = org.apache.kafka.common.security.scram.ScramLoginModule required username="mk" password="\${env:WEST_PASSWORD}";
`;

// The placeholder a user writes in a config file, not a template literal.
const ENV_PW = ['$', '{env:PW}'].join('');

describe('CLI config', () => {
  it('reads an mm2.properties: clusters, security, policy and the enabled flows only', () => {
    const config = parseMirrorMakerConfig(MM2, 'mm2.properties', { WEST_PASSWORD: 's3cret' });
    expect(Object.keys(config.clusters)).toEqual(['us-east', 'us-west']);
    expect(config.clusters['us-east']?.brokers).toEqual(['east-1:9092']);
    expect(config.clusters['us-west']?.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'mk',
      password: 's3cret',
    });
    expect(config.clusters['us-west']?.ssl).toBe(true);
    expect(config.flows.map((f) => `${f.source}->${f.target}`)).toEqual(['us-east->us-west']);
    expect(config.flows[0]?.mm2?.topics.test('orders-eu')).toBe(true);
    expect(config.flowsDeclared).toBe(true);
    // Identity: remote topics keep their names.
    expect(config.policy.formatRemoteTopic('us-east', 'orders')).toBe('orders');
  });

  it('names the missing secret without printing any secret', () => {
    const error = configError(() => parseMirrorMakerConfig(MM2, 'mm2.properties', {}));
    expect(error.message).toContain('WEST_PASSWORD');
    expect(error.message).toContain('mm2.properties');
  });

  it('reports a connection setting it cannot use with its line', () => {
    const jks = `${MM2.replace('SASL_SSL', 'SSL')}us-west.ssl.truststore.location = /etc/kafka/truststore.jks\n`;
    const error = configError(() => parseMirrorMakerConfig(jks, 'mm2.properties', { WEST_PASSWORD: 'x' }));
    expect(error.message).toMatch(/line 10: cluster us-west: us-west\.ssl\.truststore\.location: .*PEM/);
  });

  it('reads a MirrorKit JSON config with env placeholders for secrets; every ordered pair is a candidate flow', () => {
    const config = parseJsonConfig(
      JSON.stringify({
        clusters: {
          a: { brokers: ['a:9092'], sasl: { mechanism: 'plain', username: 'u', password: ENV_PW } },
          b: { brokers: ['b:9092'] },
          c: { brokers: ['c:9092'] },
        },
        policy: { 'replication.policy.separator': '_' },
      }),
      'mk.json',
      { PW: 'hunter2' },
    );
    expect(config.clusters.a?.sasl).toMatchObject({ password: 'hunter2' });
    expect(config.flows).toHaveLength(6);
    expect(config.flowsDeclared).toBe(false);
    expect(config.policy.formatRemoteTopic('a', 'orders')).toBe('a_orders');
  });

  it('rejects bad JSON configs naming the field', () => {
    expect(configError(() => parseJsonConfig('{', 'mk.json')).message).toContain('not valid JSON');
    expect(configError(() => parseJsonConfig('{"clusters":{}}', 'mk.json')).message).toContain(
      'at least one cluster',
    );
    expect(
      configError(() => parseJsonConfig('{"clusters":{"a":{"brokers":["nope"]}}}', 'mk.json')).message,
    ).toContain('clusters.a.brokers: "nope" is not host:port');
    expect(
      configError(() => parseJsonConfig('{"clusters":{"a b":{"brokers":["a:1"]}}}', 'mk.json')).message,
    ).toContain('alias');
    expect(
      configError(() =>
        parseJsonConfig(
          '{"clusters":{"a":{"brokers":["a:1"]}},"policy":{"replication.policy.class":"Nope"}}',
          'mk.json',
        ),
      ).message,
    ).toContain('policy');
  });

  it('names the known aliases for an unknown one', () => {
    const config = parseJsonConfig(
      '{"clusters":{"a":{"brokers":["a:1"]},"b":{"brokers":["b:1"]}}}',
      'mk.json',
    );
    const error = configError(() => requireAlias(config, 'eu', 'to'));
    expect(error.code).toBe('CLI_UNKNOWN_ALIAS');
    expect(error.message).toBe('--to: unknown cluster alias "eu" (configured in mk.json: a, b)');
  });

  it('takes brokers from --clusters, alone or over a config file', () => {
    expect(parseClustersFlag('us-east=e1:9092;e2:9092, us-west=w1:9092')).toEqual({
      'us-east': ['e1:9092', 'e2:9092'],
      'us-west': ['w1:9092'],
    });
    const alone = loadCliConfig(undefined, {}, parseClustersFlag('a=a:1,b=b:2'));
    expect(alone.origin).toBe('--clusters');
    expect(alone.clusters.b?.brokers).toEqual(['b:2']);
    expect(alone.flows).toHaveLength(2);
    for (const bad of ['us-east', 'us-east=', '=h:1', 'a=h', 'a b=h:1', '']) {
      const error = configError(() => parseClustersFlag(bad));
      expect(error.code).toBe('CLI_USAGE');
    }
    expect(configError(() => loadCliConfig(undefined, {})).message).toContain('--clusters');
  });

  it("keeps the parser's notes on an mm2.properties, so every command can show them", () => {
    const config = parseMirrorMakerConfig(
      `${MM2}us-west->us-east.enabled = false # Disable for Active-Passive\n`,
      'mm2.properties',
      { WEST_PASSWORD: 's3cret' },
    );
    expect(config.flows.map((f) => `${f.source}->${f.target}`)).toEqual(['us-east->us-west']);
    expect(config.notes?.map((n) => [n.key, n.line])).toEqual([['us-west->us-east.enabled', 10]]);
  });
});
