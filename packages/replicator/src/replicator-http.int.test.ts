import { describe, expect, it } from 'vitest';
import { eventually, sharedClusters, uniqueName } from '../../../test/kafka-context.js';
import { startReplicator } from './replicator.js';

interface HealthBody {
  ready: boolean;
  flows: { flow: string; state: string; downSince: number | null; lastError: string | null }[];
}

describe('the sidecar replicator over HTTP', () => {
  it('reports a flow that cannot start as starting with its error, and not live once down past the bound', async () => {
    const { east } = sharedClusters();
    const a = uniqueName('src');
    const gone = uniqueName('gone');
    const secret = uniqueName('pw');
    const startedAt = Date.now();
    const replicator = await startReplicator({
      properties: `clusters = ${a}, ${gone}
${a}.bootstrap.servers = ${east}
${gone}.bootstrap.servers = 127.0.0.1:1
${a}->${gone}.enabled = true
${gone}.ssl.truststore.password = ${secret}
topics = none
replication.factor = 1
sync.topic.acls.enabled = false
`,
      httpPort: 0,
      httpHost: '127.0.0.1',
      liveDownBoundMs: 3000,
    });
    try {
      const url = (path: string): string => `http://127.0.0.1:${replicator.httpPort}${path}`;
      const ready = await fetch(url('/healthz'));
      expect(ready.status).toBe(503);
      const text = await ready.text();
      expect(text).not.toContain(secret);
      const body = JSON.parse(text) as HealthBody;
      expect(body.ready).toBe(false);
      expect(body.flows).toHaveLength(1);
      const flow = body.flows[0] as HealthBody['flows'][number];
      expect(flow).toMatchObject({ flow: `${a}->${gone}`, state: 'starting' });
      expect(flow.lastError).toMatch(new RegExp(`${gone}`));
      expect(flow.downSince).toBeGreaterThanOrEqual(startedAt);
      // Live until the bound has passed since the first failed start, then 503 for the orchestrator.
      const boundEnds = (flow.downSince as number) + 3000;
      const asked = Date.now();
      const first = (await fetch(url('/healthz/live'))).status;
      if (first === 200) expect(asked).toBeLessThanOrEqual(boundEnds);
      else expect(Date.now()).toBeGreaterThan(boundEnds);
      await eventually('not live past the bound', async () =>
        (await fetch(url('/healthz/live'))).status === 503 ? true : undefined,
      );
      expect(Date.now()).toBeGreaterThan(boundEnds);
    } finally {
      await replicator.stop();
    }
  }, 60_000);
});
