import { describe, expect, it } from 'vitest';
import { MirrorKitConfigError, redact } from './config-error.js';
import { DefaultReplicationPolicy } from './default-replication-policy.js';
import { IdentityReplicationPolicy } from './identity-replication-policy.js';
import { parseJavaProperties } from './java-properties.js';
import { groupFilter, parseMirrorMakerProperties, topicFilter } from './mm2-properties.js';

function configError(fn: () => unknown): MirrorKitConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MirrorKitConfigError);
    return error as MirrorKitConfigError;
  }
  throw new Error('expected a MirrorKitConfigError');
}

describe('parseJavaProperties', () => {
  it('reads the three separators, comments, continuations and escapes as java.util.Properties does', () => {
    const { entries, lines } = parseJavaProperties(
      [
        '# comment',
        '! also a comment',
        '   ',
        'a=1',
        'b : 2',
        'c 3',
        '  d\t=\t4  ',
        'e = one, \\',
        '    two, \\',
        '    three',
        'f = tab\\there\\nnewline \\u00e9',
        'g\\ key = spaced key',
        'h\\:colon = x',
        'i =',
        'j',
        'k = # not a comment',
        'l = ends with escaped backslash \\\\',
        'm = next',
      ].join('\n'),
    );
    expect(Object.fromEntries(entries)).toEqual({
      a: '1',
      b: '2',
      c: '3',
      d: '4  ',
      e: 'one, two, three',
      f: 'tab\there\nnewline é',
      'g key': 'spaced key',
      'h:colon': 'x',
      i: '',
      j: '',
      k: '# not a comment',
      l: 'ends with escaped backslash \\',
      m: 'next',
    });
    expect(lines.get('a')).toBe(4);
    expect(lines.get('e')).toBe(8);
    expect(lines.get('f')).toBe(11);
    expect(lines.get('m')).toBe(18);
  });

  it('keeps the last definition of a key and its line; accepts CRLF', () => {
    const { entries, lines } = parseJavaProperties('a=1\r\nb=2\r\na=3\r\n');
    expect(entries.get('a')).toBe('3');
    expect(lines.get('a')).toBe(3);
  });

  it('refuses a malformed \\u escape with its line', () => {
    const error = configError(() => parseJavaProperties('ok=1\nbad=\\u12x4'));
    expect(error.code).toBe('CONFIG_MALFORMED_LINE');
    expect(error.line).toBe(2);
  });
});

// The example from Kafka's config/connect-mirror-maker.properties, trimmed of comments.
const KAFKA_SAMPLE = `
clusters = A, B
A.bootstrap.servers = A_host1:9092, A_host2:9092, A_host3:9092
B.bootstrap.servers = B_host1:9092, B_host2:9092, B_host3:9092
A->B.enabled = true
A->B.topics = .*
B->A.enabled = true
B->A.topics = .*
replication.factor=1
checkpoints.topic.replication.factor=1
heartbeats.topic.replication.factor=1
offset-syncs.topic.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
config.storage.replication.factor=1
`;

describe('parseMirrorMakerProperties', () => {
  it("reads Kafka's sample mm2.properties with MM2's defaults", () => {
    const config = parseMirrorMakerProperties(KAFKA_SAMPLE);
    expect(config.clusters).toEqual(['A', 'B']);
    expect(config.clusterConfigs.get('A')?.bootstrapServers).toEqual([
      'A_host1:9092',
      'A_host2:9092',
      'A_host3:9092',
    ]);
    expect(config.flows.map((f) => `${f.source}->${f.target}`)).toEqual(['A->B', 'B->A']);
    const flow = config.flows[0];
    if (!flow) throw new Error('no flow');
    expect(flow.replicationFactor).toBe(1);
    expect(flow.checkpointsTopicReplicationFactor).toBe(1);
    expect(flow.emitCheckpoints).toEqual({ enabled: true, intervalSeconds: 60 });
    expect(flow.emitHeartbeats).toEqual({ enabled: true, intervalSeconds: 1 });
    expect(flow.syncGroupOffsets).toEqual({ enabled: false, intervalSeconds: 60 });
    expect(flow.refreshTopics).toEqual({ enabled: true, intervalSeconds: 600 });
    expect(flow.offsetLagMax).toBe(100);
    expect(flow.offsetSyncsTopicLocation).toBe('source');
    expect(flow.policy).toBeInstanceOf(DefaultReplicationPolicy);
    expect(flow.policy.formatRemoteTopic('A', 'orders')).toBe('A.orders');
  });

  it("applies MM2's default topic and group filters", () => {
    const flow = parseMirrorMakerProperties(KAFKA_SAMPLE).flows[0];
    if (!flow) throw new Error('no flow');
    const topics = topicFilter(flow);
    expect(topics('orders')).toBe(true);
    expect(topics('A.orders')).toBe(true);
    for (const excluded of [
      'mm2-offset-syncs.B.internal',
      'orders.replica',
      '__consumer_offsets',
      'x-internal',
    ])
      expect(topics(excluded)).toBe(false);
    const groups = groupFilter(flow);
    expect(groups('billing')).toBe(true);
    for (const excluded of ['console-consumer-123', 'connect-mm2', '__anything'])
      expect(groups(excluded)).toBe(false);
  });

  it('gives flow settings precedence over top-level ones and full-matches topic lists', () => {
    const config = parseMirrorMakerProperties(`
clusters = us-east, us-west
us-east.bootstrap.servers = e:9092
us-west.bootstrap.servers = w:9092
topics = .*
emit.checkpoints.interval.seconds = 5
us-east->us-west.enabled = true
us-east->us-west.topics = orders, payments.*
us-east->us-west.emit.checkpoints.interval.seconds = 1
us-west->us-east.enabled = false
`);
    expect(config.flows).toHaveLength(1);
    expect(config.allFlows).toHaveLength(2);
    const [flow, disabled] = config.allFlows;
    if (!flow || !disabled) throw new Error('flows missing');
    expect(flow.emitCheckpoints.intervalSeconds).toBe(1);
    expect(disabled.emitCheckpoints.intervalSeconds).toBe(5);
    expect(disabled.enabled).toBe(false);
    const topics = topicFilter(flow);
    expect(topics('orders')).toBe(true);
    expect(topics('payments-eu')).toBe(true);
    expect(topics('orders-archive')).toBe(false);
    expect(topics('xorders')).toBe(false);
    expect(topicFilter(disabled)('orders-archive')).toBe(true);
  });

  it('builds the Identity policy and custom separators from the file', () => {
    const config = parseMirrorMakerProperties(`
clusters = a.b, c
a.b.bootstrap.servers = ab:9092
c.bootstrap.servers = c:9092
a.b->c.enabled = true
a.b->c.replication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy
c->a.b.enabled = true
c->a.b.replication.policy.separator = _
`);
    const [identity, custom] = config.flows;
    expect(identity?.source).toBe('a.b');
    expect(identity?.target).toBe('c');
    expect(identity?.policy).toBeInstanceOf(IdentityReplicationPolicy);
    expect(identity?.policy.formatRemoteTopic('a.b', 'orders')).toBe('orders');
    expect(custom?.source).toBe('c');
    expect(custom?.target).toBe('a.b');
    expect(custom?.policy.formatRemoteTopic('c', 'orders')).toBe('c_orders');
    expect(custom?.policy.checkpointsTopic('c')).toBe('c_checkpoints_internal');
  });

  it('splits per-cluster client, consumer, producer and admin settings', () => {
    const config = parseMirrorMakerProperties(`
clusters = east, west
east.bootstrap.servers = e1:9093,e2:9093
east.security.protocol = SASL_SSL
east.sasl.mechanism = SCRAM-SHA-512
east.consumer.max.poll.records = 500
east.producer.linger.ms = 5
east.admin.request.timeout.ms = 1000
west.bootstrap.servers = w:9092
east->west.enabled = true
`);
    const east = config.clusterConfigs.get('east');
    expect(east?.bootstrapServers).toEqual(['e1:9093', 'e2:9093']);
    expect(east?.client).toEqual({ 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'SCRAM-SHA-512' });
    expect(east?.consumer).toEqual({ 'max.poll.records': '500' });
    expect(east?.producer).toEqual({ 'linger.ms': '5' });
    expect(east?.admin).toEqual({ 'request.timeout.ms': '1000' });
  });

  it('takes secrets from env placeholders and never puts them in an error', () => {
    const text = `
clusters = east, west
east.bootstrap.servers = e:9092
east.sasl.jaas.config = org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="\${env:EAST_PASSWORD}";
west.bootstrap.servers = w:9092
`;
    const config = parseMirrorMakerProperties(text, { env: { EAST_PASSWORD: 'hunter2' } });
    expect(config.clusterConfigs.get('east')?.client['sasl.jaas.config']).toContain('password="hunter2"');
    const missing = configError(() => parseMirrorMakerProperties(text, { env: {} }));
    expect(missing.code).toBe('CONFIG_MISSING');
    expect(missing.line).toBe(4);
    expect(missing.message).toContain('EAST_PASSWORD');
    expect(redact('east.sasl.jaas.config', 'password="hunter2"')).toBe('[redacted]');
    expect(redact('east.bootstrap.servers', 'e:9092')).toBe('e:9092');
  });

  it('maps deprecated blacklist names unless the new name is set', () => {
    const base = `
clusters = a, b
a.bootstrap.servers = a:1
b.bootstrap.servers = b:1
a->b.enabled = true
`;
    const old = parseMirrorMakerProperties(`${base}topics.blacklist = secret.*\n`).flows[0];
    if (!old) throw new Error('no flow');
    expect(topicFilter(old)('secret-sauce')).toBe(false);
    expect(topicFilter(old)('orders')).toBe(true);
    const both = parseMirrorMakerProperties(`${base}topics.blacklist = secret.*\ntopics.exclude = other.*\n`)
      .flows[0];
    if (!both) throw new Error('no flow');
    expect(topicFilter(both)('secret-sauce')).toBe(true);
    expect(topicFilter(both)('other-thing')).toBe(false);
  });

  describe('refuses what MM2 would not run, naming the key and line', () => {
    const header = 'clusters = a, b\na.bootstrap.servers = a:1\nb.bootstrap.servers = b:1\n';
    const cases: [string, string, string, number | undefined][] = [
      ['no clusters', 'a.bootstrap.servers = a:1\n', 'CONFIG_MISSING', undefined],
      ['empty clusters', 'clusters = ,\n', 'CONFIG_INVALID_VALUE', 1],
      ['bad alias', 'clusters = a b\n', 'CONFIG_INVALID_VALUE', 1],
      ['missing bootstrap', 'clusters = a, b\na.bootstrap.servers = a:1\n', 'CONFIG_MISSING', undefined],
      ['unknown source alias', `${header}c->b.enabled = true\n`, 'CONFIG_UNKNOWN_ALIAS', 4],
      ['unknown target alias', `${header}a->c.enabled = true\n`, 'CONFIG_UNKNOWN_ALIAS', 4],
      ['unknown cluster bootstrap', `${header}c.bootstrap.servers = c:1\n`, 'CONFIG_UNKNOWN_ALIAS', 4],
      ['unknown top-level key', `${header}emit.heartbeat.enabled = true\n`, 'CONFIG_UNKNOWN_KEY', 4],
      ['unknown flow key', `${header}a->b.enabled = true\na->b.topic = x\n`, 'CONFIG_UNKNOWN_KEY', 5],
      ['bad boolean', `${header}a->b.enabled = yes\n`, 'CONFIG_INVALID_VALUE', 4],
      [
        'bad interval',
        `${header}a->b.enabled = true\nemit.checkpoints.interval.seconds = soon\n`,
        'CONFIG_INVALID_VALUE',
        5,
      ],
      ['bad regex', `${header}a->b.enabled = true\na->b.topics = orders(\n`, 'CONFIG_INVALID_VALUE', 5],
      [
        'bad policy',
        `${header}a->b.enabled = true\nreplication.policy.class = com.example.Nope\n`,
        'CONFIG_INVALID_VALUE',
        5,
      ],
      [
        'bad offset-syncs location',
        `${header}a->b.enabled = true\noffset-syncs.topic.location = middle\n`,
        'CONFIG_INVALID_VALUE',
        5,
      ],
    ];
    for (const [name, text, code, line] of cases) {
      it(name, () => {
        const error = configError(() => parseMirrorMakerProperties(text));
        expect(error.code).toBe(code);
        expect(error.line).toBe(line);
        if (line !== undefined) expect(error.message).toMatch(new RegExp(`^line ${line}: `));
      });
    }
  });

  it('accepts the Connect and client settings MM2 passes through', () => {
    const config = parseMirrorMakerProperties(`
clusters = a, b
a.bootstrap.servers = a:1
b.bootstrap.servers = b:1
a->b.enabled = true
offset.storage.replication.factor = 1
key.converter = org.apache.kafka.connect.converters.ByteArrayConverter
consumer.auto.offset.reset = earliest
security.protocol = PLAINTEXT
tasks.max = 4
a->b.producer.compression.type = zstd
`);
    expect(config.flows[0]?.tasksMax).toBe(4);
    expect(config.properties.get('consumer.auto.offset.reset')).toBe('earliest');
  });
});
