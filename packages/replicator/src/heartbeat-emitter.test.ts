import { MirrorKitConfigError, parseMirrorMakerProperties } from '@mirrorkit/core';
import { describe, expect, it } from 'vitest';
import { heartbeatPairs } from './heartbeat-emitter.js';

const mm2 = (extra: string) =>
  parseMirrorMakerProperties(`
clusters = us-east, us-west
us-east.bootstrap.servers = e:9092
us-west.bootstrap.servers = w:9092
us-east->us-west.enabled = true
${extra}`);

describe('heartbeat pairs (MirrorMakerConfig.clusterPairs)', () => {
  it('beats for the disabled reverse pair too: that fills the source heartbeats topic the flow copies', () => {
    expect(heartbeatPairs(mm2('heartbeats.topic.replication.factor = 1'))).toEqual([
      { source: 'us-east', target: 'us-west', intervalSeconds: 1, replicationFactor: 1 },
      { source: 'us-west', target: 'us-east', intervalSeconds: 1, replicationFactor: 1 },
    ]);
  });

  it("gives a pair the file does not name the global settings and its own, never another flow's", () => {
    const pairs = heartbeatPairs(
      mm2(`us-east->us-west.heartbeats.topic.replication.factor = 1
us-east->us-west.emit.heartbeats.interval.seconds = 2
us-west->us-east.emit.heartbeats.interval.seconds = 5`),
    );
    expect(pairs).toEqual([
      { source: 'us-east', target: 'us-west', intervalSeconds: 2, replicationFactor: 1 },
      { source: 'us-west', target: 'us-east', intervalSeconds: 5, replicationFactor: 3 },
    ]);
  });

  it('leaves out pairs whose heartbeats are off, globally or for the pair', () => {
    expect(heartbeatPairs(mm2('emit.heartbeats.enabled = false'))).toEqual([]);
    expect(
      heartbeatPairs(mm2('us-west->us-east.emit.heartbeats.enabled = false')).map((p) => p.target),
    ).toEqual(['us-west']);
  });

  it('names the line of a bad value of a pair the parser did not resolve', () => {
    const config = mm2('us-west->us-east.heartbeats.topic.replication.factor = three');
    expect(() => heartbeatPairs(config)).toThrow(MirrorKitConfigError);
    expect(() => heartbeatPairs(config)).toThrow(
      /line 6: us-west->us-east.heartbeats.topic.replication.factor/,
    );
  });
});
