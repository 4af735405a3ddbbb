import { createTopicsAndWait, DefaultReplicationPolicy, encodeHeartbeat } from '@mirrorkit/core';
import { type MirrorMakerProcess, mirrorMakerTestProperties, startMirrorMaker } from '@mirrorkit/testkit';
import { logLevel } from 'kafkajs';
import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import { eventually, kafkaFor, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import { MirrorKit } from './mirror-kit.js';

describe('HealthMonitor heartbeat age (replication lag) on real brokers', () => {
  let mm2: MirrorMakerProcess | undefined;
  afterEach(async () => {
    await mm2?.stop();
    mm2 = undefined;
  });

  it('reads the age of heartbeats that travelled the source data path, not those MM2 wrote locally', async () => {
    const { east, west } = sharedClusters();
    const home = uniqueName('alpha');
    const dr = uniqueName('beta');
    const policy = new DefaultReplicationPolicy();
    const remoteBeats = policy.formatRemoteTopic(home, policy.heartbeatsTopic());
    const admin = kafkaFor(west).admin();
    await admin.connect();
    await createTopicsAndWait(admin, { topics: [{ topic: remoteBeats, numPartitions: 1 }] });
    await admin.disconnect();
    const now = Date.now();
    const beat = (source: string, target: string, ageMs: number) => {
      const { key, value } = encodeHeartbeat({
        sourceClusterAlias: source,
        targetClusterAlias: target,
        timestamp: BigInt(now - ageMs),
      });
      return { key, value };
    };
    const producer = kafkaFor(west).producer();
    await producer.connect();
    // What MM2 puts in `alpha.heartbeats` on beta: heartbeats emitted into alpha (target alpha,
    // for its reverse pair) and copied over. A record with another target is not alpha's lag.
    await producer.send({
      topic: remoteBeats,
      acks: -1,
      messages: [beat(dr, home, 9000), beat(dr, home, 4000), beat(home, dr, 10)],
    });
    await producer.disconnect();

    const mk = new MirrorKit({
      clusters: { [home]: { brokers: [east] }, [dr]: { brokers: [west] } },
      activeCluster: home,
      logLevel: logLevel.NOTHING,
    });
    const monitor = mk.healthMonitor({ intervalMs: 60_000, heartbeatIntervalMs: 0 });
    await monitor.readHeartbeats();
    const age = monitor.health(dr).heartbeatAgeMs[home];
    expect(age).toBeGreaterThanOrEqual(4000);
    expect(age).toBeLessThan(9000);
    expect(monitor.health(home).heartbeatAgeMs[dr]).toBeUndefined();
    await monitor.stop();
  });

  it('follows real MirrorMaker 2: fresh while it replicates, ageing once it stops', async () => {
    const { east, west } = sharedClusters();
    onTestFailed(() => console.error(`---- MM2 log tail ----\n${mm2?.logTail(60)}`));
    // Unique aliases give this MM2 its own internal topics on the shared clusters.
    const home = uniqueName('east');
    const dr = uniqueName('west');
    mm2 = await startMirrorMaker({
      properties: mirrorMakerTestProperties({
        clusters: { [home]: east, [dr]: west },
        flows: [`${home}->${dr}`],
        extra: { [`${home}->${dr}.topics`]: uniqueName('none') },
      }),
    });
    const mk = new MirrorKit({
      clusters: { [home]: { brokers: [east] }, [dr]: { brokers: [west] } },
      activeCluster: home,
      logLevel: logLevel.NOTHING,
    });
    const monitor = mk.healthMonitor({ intervalMs: 60_000, heartbeatIntervalMs: 0 });
    try {
      const fresh = await eventually(
        `a replicated heartbeat from ${home} on ${dr}`,
        async () => {
          await monitor.readHeartbeats();
          const age = monitor.health(dr).heartbeatAgeMs[home];
          return age !== undefined && age < 5000 ? age : undefined;
        },
        60_000,
      );
      await mm2.stop();
      mm2 = undefined;
      await new Promise((resolveSleep) => setTimeout(resolveSleep, 3000));
      await monitor.readHeartbeats();
      const stale = monitor.health(dr).heartbeatAgeMs[home] as number;
      expect(stale).toBeGreaterThanOrEqual(3000);
      expect(stale).toBeGreaterThan(fresh);
    } finally {
      await monitor.stop();
    }
  }, 120_000);
});
