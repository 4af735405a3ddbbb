import { describe, expect, it } from 'vitest';
import { MirrorKitConfigError, redact } from './config-error.js';
import { DefaultReplicationPolicy } from './default-replication-policy.js';
import { IdentityReplicationPolicy } from './identity-replication-policy.js';
import { parseJavaProperties } from './java-properties.js';
import {
  groupFilter,
  type MirrorMakerConfig,
  parseMirrorMakerProperties,
  topicFilter,
} from './mm2-properties.js';
import { formatNote } from './mm2-property-notes.js';
import { unsupportedSettings } from './mm2-setting-support.js';

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
      [
        'bad boolean',
        `${header}a->b.enabled = true\na->b.emit.checkpoints.enabled = yes\n`,
        'CONFIG_INVALID_VALUE',
        5,
      ],
      [
        'short policy class name (Class.forName needs the full one)',
        `${header}a->b.enabled = true\nreplication.policy.class = DefaultReplicationPolicy\n`,
        'CONFIG_INVALID_VALUE',
        5,
      ],
      [
        'custom topic filter',
        `${header}a->b.enabled = true\ntopic.filter.class = com.example.MyFilter\n`,
        'CONFIG_INVALID_VALUE',
        5,
      ],
      ['tasks.max below 1', `${header}a->b.enabled = true\ntasks.max = 0\n`, 'CONFIG_INVALID_VALUE', 5],
      [
        'short out of range',
        `${header}a->b.enabled = true\nheartbeats.topic.replication.factor = 40000\n`,
        'CONFIG_INVALID_VALUE',
        5,
      ],
      [
        'bad security.protocol',
        'clusters = a\na.bootstrap.servers = a:1\na.security.protocol = TLS\n',
        'CONFIG_INVALID_VALUE',
        3,
      ],
      ['bootstrap not host:port', 'clusters = a\na.bootstrap.servers = a\n', 'CONFIG_INVALID_VALUE', 2],
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

// Values as MM2 (Kafka 3.9) reads them: java.util.Properties has no inline comments, flow settings go
// through the connectors' ConfigDef, and MirrorMakerConfig reads the flow switches with
// Boolean.parseBoolean.
describe('values as MM2 reads them', () => {
  const header =
    'clusters = us-east, us-west\nus-east.bootstrap.servers = e:9092\nus-west.bootstrap.servers = w:9092\n';
  const parse = (body: string): MirrorMakerConfig => parseMirrorMakerProperties(`${header}${body}`);
  const flow = (config: MirrorMakerConfig, name: string) => {
    const found = config.allFlows.find((f) => `${f.source}->${f.target}` === name);
    if (!found) throw new Error(`no flow ${name}`);
    return found;
  };

  describe('flow switches (Boolean.parseBoolean: true only for exactly "true")', () => {
    it('reads `false # comment` as false, with a warning naming the full key and line', () => {
      const config = parse(
        'us-east->us-west.enabled = true\nus-west->us-east.enabled = false # Disable for Active-Passive\n',
      );
      expect(config.flows.map((f) => `${f.source}->${f.target}`)).toEqual(['us-east->us-west']);
      expect(flow(config, 'us-west->us-east').enabled).toBe(false);
      expect(config.notes).toHaveLength(1);
      const [note] = config.notes;
      expect(note).toMatchObject({ key: 'us-west->us-east.enabled', line: 5, severity: 'warning' });
      expect(formatNote(note as never)).toMatch(
        /^line 5: us-west->us-east\.enabled = "false # Disable for Active-Passive"/,
      );
      expect(note?.message).toMatch(/inline comments/);
      // MM2 still runs the pair's heartbeat connector, whose ConfigDef refuses the value.
      expect(note?.mm2Differs).toMatch(/no heartbeats/);
    });

    it('reads `true # comment` as false: the flow is disabled, and the warning is loud', () => {
      const config = parse('us-east->us-west.enabled = true # the active-passive flow\n');
      expect(config.flows).toEqual([]);
      expect(config.notes.map((n) => [n.key, n.line, n.severity])).toEqual([
        ['us-east->us-west.enabled', 4, 'loud'],
      ]);
      expect(config.notes[0]?.message).toContain('reads it as false');
    });

    it('takes TRUE, and reads yes as false (loudly) instead of refusing it', () => {
      expect(parse('us-east->us-west.enabled = TRUE\n').flows).toHaveLength(1);
      const yes = parse('us-east->us-west.enabled = yes\n');
      expect(yes.flows).toEqual([]);
      expect(yes.notes[0]?.severity).toBe('loud');
    });

    it('follows MM2 on a trailing blank: runs while the pair has heartbeats, not without', () => {
      // clusterPairs reads "true " as false, but heartbeats give the pair connectors, and their
      // ConfigDef trims it to true.
      expect(parse('us-east->us-west.enabled = true \n').flows).toHaveLength(1);
      const off = parse(
        'us-east->us-west.enabled = true \nus-east->us-west.emit.heartbeats.enabled = false\n',
      );
      expect(off.flows).toEqual([]);
      expect(off.notes[0]).toMatchObject({ key: 'us-east->us-west.enabled', severity: 'loud' });
    });

    it('reads `emit.heartbeats.enabled = true # …` as no heartbeats, loudly', () => {
      const config = parse(
        'us-east->us-west.enabled = true\nus-east->us-west.emit.heartbeats.enabled = true # beat\n',
      );
      expect(flow(config, 'us-east->us-west').emitHeartbeats.enabled).toBe(false);
      expect(config.notes[0]).toMatchObject({
        key: 'us-east->us-west.emit.heartbeats.enabled',
        line: 5,
        severity: 'loud',
      });
      const global = parse('us-east->us-west.enabled = true\nemit.heartbeats.enabled = false # quiet\n');
      expect(flow(global, 'us-east->us-west').emitHeartbeats.enabled).toBe(false);
      expect(global.notes[0]).toMatchObject({ key: 'emit.heartbeats.enabled', line: 5, severity: 'warning' });
    });

    it('gives a top-level `enabled` to every pair, as MM2 gives it to every pair it runs', () => {
      const config = parse('enabled = true\n');
      expect(config.flows.map((f) => `${f.source}->${f.target}`)).toEqual([
        'us-east->us-west',
        'us-west->us-east',
      ]);
    });
  });

  describe('ConfigDef settings: refused, naming the full key and line, when MM2 would refuse them', () => {
    const refused = (body: string): MirrorKitConfigError => configError(() => parse(body));

    it('booleans: true/false in any case after trimming, anything else refused', () => {
      const config = parse(
        'us-east->us-west.enabled = true\nsync.group.offsets.enabled = TRUE \nrefresh.topics.enabled = False\n',
      );
      expect(flow(config, 'us-east->us-west').syncGroupOffsets.enabled).toBe(true);
      expect(flow(config, 'us-east->us-west').refreshTopics.enabled).toBe(false);
      const error = refused(
        'us-east->us-west.enabled = true\nus-east->us-west.sync.group.offsets.enabled = true # on\n',
      );
      expect(error.code).toBe('CONFIG_INVALID_VALUE');
      expect(error.key).toBe('us-east->us-west.sync.group.offsets.enabled');
      expect(error.line).toBe(5);
      expect(error.message).toMatch(
        /^line 5: us-east->us-west\.sync\.group\.offsets\.enabled = "true # on" must be true or false/,
      );
      expect(error.message).toContain('MirrorCheckpointConnector');
      expect(error.message).toMatch(/inline comments/);
    });

    it('numbers: `10 # seconds` is refused with the full key; a sign and blanks are fine', () => {
      const error = refused(
        'us-east->us-west.enabled = true\nus-east->us-west.emit.checkpoints.interval.seconds = 10 # seconds\n',
      );
      expect(error.key).toBe('us-east->us-west.emit.checkpoints.interval.seconds');
      expect(error.message).toMatch(
        /^line 5: us-east->us-west\.emit\.checkpoints\.interval\.seconds = "10 # seconds" must be a whole number/,
      );
      const top = refused('us-east->us-west.enabled = true\nreplication.factor = 3 # three replicas\n');
      expect([top.key, top.line]).toEqual(['replication.factor', 5]);
      const config = parse('us-east->us-west.enabled = true\noffset.lag.max = +50 \ntasks.max = 2\n');
      expect(flow(config, 'us-east->us-west').offsetLagMax).toBe(50);
    });

    it('negative intervals mean off, as in MM2, with a warning', () => {
      const config = parse('us-east->us-west.enabled = true\nemit.checkpoints.interval.seconds = -1\n');
      expect(flow(config, 'us-east->us-west').emitCheckpoints.enabled).toBe(false);
      expect(config.notes[0]).toMatchObject({
        key: 'emit.checkpoints.interval.seconds',
        severity: 'warning',
      });
    });

    it('a value no flow takes is not refused, only noted', () => {
      const config = parse(
        'us-east->us-west.enabled = true\nemit.checkpoints.enabled = true # default\nus-east->us-west.emit.checkpoints.enabled = false\n',
      );
      expect(flow(config, 'us-east->us-west').emitCheckpoints.enabled).toBe(false);
      expect(config.notes[0]).toMatchObject({
        key: 'emit.checkpoints.enabled',
        line: 5,
        severity: 'warning',
      });
    });

    it('bootstrap servers and security protocols with a comment are refused', () => {
      const bootstrap = configError(() =>
        parseMirrorMakerProperties('clusters = a\na.bootstrap.servers = a:9092 # primary\n'),
      );
      expect([bootstrap.key, bootstrap.line]).toEqual(['a.bootstrap.servers', 2]);
      const protocol = configError(() =>
        parseMirrorMakerProperties(
          'clusters = a\na.bootstrap.servers = a:9092\na.security.protocol = SSL # tls\n',
        ),
      );
      expect([protocol.key, protocol.line]).toEqual(['a.security.protocol', 3]);
      expect(
        parseMirrorMakerProperties(
          'clusters = a\na.bootstrap.servers = a:9092\na.security.protocol = ssl \n',
        ).clusterConfigs.get('a')?.client['security.protocol'],
      ).toBe('ssl');
    });

    it('reads the internal-separator switch as DefaultReplicationPolicy does (Boolean.parseBoolean, untrimmed)', () => {
      const config = parse(
        'us-east->us-west.enabled = true\nreplication.policy.separator = _\nreplication.policy.internal.topic.separator.enabled = true \n',
      );
      expect(flow(config, 'us-east->us-west').policy.checkpointsTopic('us-east')).toBe(
        'us-east.checkpoints.internal',
      );
    });
  });

  describe('inline comments elsewhere: a warning naming the full key and line', () => {
    it('is loud on a topic list: MM2 reads the comment into the last pattern', () => {
      const config = parse(
        'us-east->us-west.enabled = true\nus-east->us-west.topics = orders.*, payments.* # money\n',
      );
      expect(topicFilter(flow(config, 'us-east->us-west'))('payments-eu')).toBe(false);
      expect(config.notes[0]).toMatchObject({ key: 'us-east->us-west.topics', line: 5, severity: 'loud' });
      expect(config.notes[0]?.message).toContain('"payments.* # money"');
    });

    it('is loud on a Connect worker setting MirrorKit ignores (MM2 would not start)', () => {
      const config = parse('us-east->us-west.enabled = true\noffset.storage.replication.factor = 3 # prod\n');
      expect(config.notes[0]).toMatchObject({
        key: 'offset.storage.replication.factor',
        line: 5,
        severity: 'loud',
      });
      expect(config.notes[0]?.mm2Differs).toMatch(/Connect workers/);
    });

    it('never echoes a secret, in a note or in a parse error', () => {
      const config = parseMirrorMakerProperties(
        `${header}us-east.ssl.key.password = hunter2 # rotated in May\nus-east->us-west.enabled = true\n`,
      );
      const note = config.notes.find((n) => n.key === 'us-east.ssl.key.password');
      expect(note).toMatchObject({ line: 4, severity: 'loud' });
      expect(JSON.stringify(config.notes)).not.toContain('hunter2');
      expect(JSON.stringify(config.notes)).not.toContain('rotated');
      const badEscape = configError(() =>
        parseMirrorMakerProperties(
          `${header}us-east.sasl.jaas.config = x required password="s3cr\\u12x4t";\n`,
        ),
      );
      expect(badEscape.code).toBe('CONFIG_MALFORMED_LINE');
      expect([badEscape.key, badEscape.line]).toEqual(['us-east.sasl.jaas.config', 4]);
      expect(badEscape.message).not.toMatch(/s3cr|12x4/);
    });
  });

  it("classifies what MirrorKit does not act on, as the sidecar's start log did", () => {
    const mm2 = parseMirrorMakerProperties(`clusters = a, b
a.bootstrap.servers = a:1
b.bootstrap.servers = b:1
a->b.enabled = true
sync.topic.acls.enabled = true
tasks.max = 8
offset.storage.replication.factor = 1
a->b.offset-syncs.topic.location = target
emit.checkpoints.interval.seconds = 5
`);
    expect(unsupportedSettings(mm2).map((u) => [u.key, u.line])).toEqual([
      ['sync.topic.acls.enabled', 5],
      ['tasks.max', 6],
      ['offset.storage.replication.factor', 7],
      ['a->b.offset-syncs.topic.location', 8],
    ]);
    const off = parseMirrorMakerProperties(
      'clusters = a\na.bootstrap.servers = a:1\nsync.topic.acls.enabled = false\n',
    );
    expect(unsupportedSettings(off)).toEqual([]);
  });
});

describe("Connect's error-handling keys", () => {
  const base = [
    'clusters = a, b',
    'a.bootstrap.servers = a:9092',
    'b.bootstrap.servers = b:9092',
    'a->b.enabled = true',
  ];
  const flowOf = (...lines: string[]) => {
    const mm2 = parseMirrorMakerProperties([...base, ...lines].join('\n'));
    return { flow: mm2.flows[0] as (typeof mm2.flows)[number], notes: mm2.notes };
  };

  it('defaults to errors.tolerance none and no dead letter queue, as Connect does', () => {
    expect(flowOf().flow.errors).toEqual({ tolerance: 'none', deadLetterQueue: null });
  });

  it('reads the tolerance ignoring case, per flow over top level, and the dead letter queue', () => {
    const { flow, notes } = flowOf(
      'errors.tolerance = none',
      'a->b.errors.tolerance = ALL',
      'a->b.errors.deadletterqueue.topic.name = a.dlq',
      'errors.deadletterqueue.topic.replication.factor = 1',
      'errors.deadletterqueue.context.headers.enable = true',
    );
    expect(flow.errors).toEqual({
      tolerance: 'all',
      deadLetterQueue: { topic: 'a.dlq', replicationFactor: 1, contextHeaders: true },
    });
    expect(notes.map((n) => n.key)).toContain('a->b.errors.deadletterqueue.topic.name');
  });

  it('notes that a dead letter queue under tolerance none never receives anything', () => {
    const { notes } = flowOf('errors.deadletterqueue.topic.name = dlq');
    const note = notes.find((n) => n.key === 'errors.deadletterqueue.topic.name');
    expect(note?.message).toMatch(/no effect .*errors\.tolerance is none/);
    expect(note?.line).toBe(5);
  });

  it('refuses a tolerance Connect does not have, naming the key and line', () => {
    expect(() => flowOf('a->b.errors.tolerance = some')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID_VALUE', key: 'a->b.errors.tolerance', line: 5 }),
    );
    expect(() => flowOf('errors.deadletterqueue.topic.replication.factor = three')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID_VALUE', line: 5 }),
    );
  });
});

describe('the dead letter topic name', () => {
  it('is refused at parse time when Kafka would refuse to create it', () => {
    const text = [
      'clusters = a, b',
      'a.bootstrap.servers = a:9092',
      'b.bootstrap.servers = b:9092',
      'a->b.enabled = true',
      'errors.deadletterqueue.topic.name = dead letters',
    ].join('\n');
    expect(() => parseMirrorMakerProperties(text)).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID_VALUE',
        key: 'errors.deadletterqueue.topic.name',
        line: 5,
      }),
    );
  });
});
