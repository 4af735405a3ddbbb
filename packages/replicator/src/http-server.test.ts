import { describe, expect, it } from 'vitest';
import type { FlowStatus } from './flow-status.js';
import { HTTP_ROUTES, type HttpSources, routeHttpRequest, startHttpServer } from './http-server.js';

const running = (over: Partial<FlowStatus> = {}): FlowStatus => ({
  flow: 'us-east->us-west',
  ready: true,
  state: 'running',
  downSince: null,
  lastError: null,
  stoppedPartitions: [],
  skippedRecords: 0,
  topics: ['orders'],
  ...over,
});

const sources = (statuses: FlowStatus[], now = 1_000_000, liveDownBoundMs = 60_000): HttpSources => ({
  statuses: () => statuses,
  metrics: () => 'mirrorkit_replicator_records_total{flow="us-east->us-west"} 3\n',
  now: () => now,
  liveDownBoundMs,
});

const body = (reply: { body: string }): Record<string, unknown> =>
  JSON.parse(reply.body) as Record<string, unknown>;

describe('routeHttpRequest', () => {
  it('answers 200 on every health route while every flow runs, and serves the metrics text', () => {
    const s = sources([running()]);
    for (const path of ['/healthz', '/healthz/ready', '/healthz/live'])
      expect(routeHttpRequest('GET', path, s).status, path).toBe(200);
    const metrics = routeHttpRequest('GET', '/metrics?x=1', s);
    expect(metrics.status).toBe(200);
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.body).toContain('mirrorkit_replicator_records_total');
    expect(routeHttpRequest('GET', '/nope', s).status).toBe(404);
    expect(routeHttpRequest('POST', '/healthz', s).status).toBe(405);
  });

  it('names a stopped partition with its offset, code and error: not ready, still live', () => {
    const stopped = {
      topic: 'orders',
      partition: 2,
      offset: '41',
      code: 'INVALID_TIMESTAMP',
      error: 'timestamp out of range',
      since: 999_000,
    };
    const s = sources([running({ stoppedPartitions: [stopped] })]);
    const ready = routeHttpRequest('GET', '/healthz', s);
    expect(ready.status).toBe(503);
    expect(body(ready).stoppedPartitions).toEqual([{ flow: 'us-east->us-west', ...stopped }]);
    // A restart would meet the same record: liveness must not ask for one.
    expect(routeHttpRequest('GET', '/healthz/live', s).status).toBe(200);
  });

  it('reports a flow error as not ready, and a flow down past the live bound as not live', () => {
    const now = 1_000_000;
    const erring = running({ lastError: 'checkpoints: broker gone' });
    expect(routeHttpRequest('GET', '/healthz/ready', sources([erring], now)).status).toBe(503);
    expect(body(routeHttpRequest('GET', '/healthz', sources([erring], now))).errors).toEqual({
      'us-east->us-west': 'checkpoints: broker gone',
    });
    const downAtBound = running({
      ready: false,
      state: 'starting',
      downSince: now - 60_000,
      lastError: 'unreachable',
    });
    expect(routeHttpRequest('GET', '/healthz/live', sources([downAtBound], now, 60_000)).status).toBe(200);
    const downPast = { ...downAtBound, downSince: now - 60_001 };
    const live = routeHttpRequest('GET', '/healthz/live', sources([running(), downPast], now, 60_000));
    expect(live.status).toBe(503);
    expect(body(live).down).toEqual([
      { flow: 'us-east->us-west', state: 'starting', downSince: now - 60_001, error: 'unreachable' },
    ]);
    const restarting = routeHttpRequest(
      'GET',
      '/healthz',
      sources([running({ state: 'restarting', downSince: now })]),
    );
    expect(restarting.status).toBe(503);
    expect(body(restarting).ready).toBe(false);
  });
});

describe('startHttpServer', () => {
  it('answers the routes over a socket on the given host and closes with a keep-alive client open', async () => {
    const server = await startHttpServer(
      '127.0.0.1',
      0,
      sources([running({ ready: false, state: 'starting' })]),
    );
    try {
      expect(server.port).toBeGreaterThan(0);
      const answers = await Promise.all(
        HTTP_ROUTES.map(async (path) => (await fetch(`http://127.0.0.1:${server.port}${path}`)).status),
      );
      expect(answers).toEqual([200, 503, 503, 200]);
    } finally {
      await server.close();
    }
    await expect(fetch(`http://127.0.0.1:${server.port}/healthz`)).rejects.toThrow();
  });

  it('fails to start on a port already taken instead of hanging', async () => {
    const first = await startHttpServer('127.0.0.1', 0, sources([]));
    try {
      await expect(startHttpServer('127.0.0.1', first.port, sources([]))).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});
