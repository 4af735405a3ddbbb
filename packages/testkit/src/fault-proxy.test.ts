import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import { freePorts } from './free-ports.js';
import { TestkitError } from './testkit-error.js';

interface EchoServer {
  server: Server;
  port: number;
  /** Connections the echo server has accepted, so a test can tell what reached the target. */
  accepted: number;
  sockets: Set<Socket>;
}

async function startEcho(): Promise<EchoServer> {
  const echo: EchoServer = { server: createServer(), port: 0, accepted: 0, sockets: new Set() };
  echo.server.on('connection', (socket) => {
    echo.accepted++;
    echo.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => echo.sockets.delete(socket));
    socket.pipe(socket);
  });
  await new Promise<void>((done) => echo.server.listen(0, '127.0.0.1', () => done()));
  const address = echo.server.address();
  if (address === null || typeof address === 'string') throw new Error('echo server has no port');
  echo.port = address.port;
  return echo;
}

/** A client socket that collects what it receives and remembers how it ended. */
interface Client {
  socket: Socket;
  received: () => Buffer;
  error: () => NodeJS.ErrnoException | undefined;
  closed: () => boolean;
}

/** Starts connecting without waiting, for proxies that may reset before the client sees `connect`. */
function openClient(port: number): Client {
  const socket = connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  let error: NodeJS.ErrnoException | undefined;
  let closed = false;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', (e: NodeJS.ErrnoException) => {
    error = e;
  });
  socket.on('close', () => {
    closed = true;
  });
  return { socket, received: () => Buffer.concat(chunks), error: () => error, closed: () => closed };
}

async function connectClient(port: number): Promise<Client> {
  const client = openClient(port);
  await once(client.socket, 'connect');
  return client;
}

/** Resolves once `client` received `bytes` bytes, or rejects after `timeoutMs`. */
async function receivedAtLeast(client: Client, bytes: number, timeoutMs: number): Promise<Buffer> {
  const deadline = performance.now() + timeoutMs;
  while (client.received().length < bytes) {
    if (performance.now() > deadline) {
      throw new Error(`received ${client.received().length} of ${bytes} bytes in ${timeoutMs} ms`);
    }
    if (client.closed()) throw new Error(`closed after ${client.received().length} of ${bytes} bytes`);
    await new Promise((done) => setTimeout(done, 5));
  }
  return client.received();
}

async function closedWithin(client: Client, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!client.closed()) {
    if (performance.now() > deadline) throw new Error(`socket still open after ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 5));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

describe('FaultProxy against a local echo server', () => {
  let echo: EchoServer;
  let proxy: FaultProxy;
  const clients: Client[] = [];

  async function client(): Promise<Client> {
    const c = await connectClient(proxy.port);
    clients.push(c);
    return c;
  }

  beforeEach(async () => {
    echo = await startEcho();
    proxy = await startFaultProxy({ target: { port: echo.port } });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await proxy.close();
    for (const socket of echo.sockets) socket.destroy();
    await new Promise<void>((done) => echo.server.close(() => done()));
  });

  it('passes bytes both ways, in order, and counts them', async () => {
    expect(proxy.address).toBe(`127.0.0.1:${proxy.port}`);
    expect(proxy.target).toBe(`127.0.0.1:${echo.port}`);
    expect(proxy.fault).toEqual({ kind: 'pass' });
    const c = await client();
    // More than the proxy's high-water mark, so backpressure and resuming are exercised too.
    const payload = randomBytes(3 * 1024 * 1024);
    c.socket.write(payload);
    const back = await receivedAtLeast(c, payload.length, 10_000);
    expect(back.equals(payload)).toBe(true);
    const stats = proxy.stats();
    expect(stats).toMatchObject({ accepted: 1, open: 1, resets: 0 });
    expect(stats.bytesToTarget).toBe(payload.length);
    expect(stats.bytesToClient).toBe(payload.length);
  });

  it('latency delays each direction by at least the delay and keeps the order', async () => {
    const c = await client();
    c.socket.write('warm');
    await receivedAtLeast(c, 4, 2_000);
    proxy.latency(150);
    expect(proxy.fault).toEqual({ kind: 'latency', ms: 150 });
    const started = performance.now();
    const parts = Array.from({ length: 20 }, (_, i) => `part-${String(i).padStart(2, '0')};`);
    for (const part of parts) {
      c.socket.write(part);
      await sleep(2);
    }
    const expected = `warm${parts.join('')}`;
    const back = await receivedAtLeast(c, expected.length, 5_000);
    const elapsed = performance.now() - started;
    expect(back.toString()).toBe(expected);
    // 150 ms out and 150 ms back; timers may fire up to 1 ms early against performance.now().
    expect(elapsed).toBeGreaterThanOrEqual(2 * 150 - 2);

    proxy.heal();
    const healedAt = performance.now();
    c.socket.write('x');
    await receivedAtLeast(c, expected.length + 1, 2_000);
    expect(performance.now() - healedAt).toBeLessThan(150);
  });

  it('blackhole answers nothing on old and new connections, closes nothing, and heal lets held bytes through', async () => {
    const old = await client();
    old.socket.write('before');
    await receivedAtLeast(old, 6, 2_000);
    const before = proxy.stats();

    proxy.blackhole();
    expect(proxy.fault).toEqual({ kind: 'blackhole' });
    old.socket.write('during');
    // The kernel completes the handshake, so a new connection is accepted, but never reaches the target.
    const fresh = await client();
    fresh.socket.write('hello');
    await sleep(1_000);
    expect(old.received().toString()).toBe('before');
    expect(fresh.received().length).toBe(0);
    expect(old.closed()).toBe(false);
    expect(fresh.closed()).toBe(false);
    expect(echo.accepted).toBe(1);
    const during = proxy.stats();
    expect(during.bytesToTarget).toBe(before.bytesToTarget);
    expect(during.bytesToClient).toBe(before.bytesToClient);
    expect(during).toMatchObject({ accepted: 2, open: 2, resets: 0 });

    proxy.heal();
    expect((await receivedAtLeast(old, 12, 2_000)).toString()).toBe('beforeduring');
    expect((await receivedAtLeast(fresh, 5, 2_000)).toString()).toBe('hello');
    const later = await client();
    later.socket.write('after');
    expect((await receivedAtLeast(later, 5, 2_000)).toString()).toBe('after');
    expect(echo.accepted).toBe(3);
  });

  it('reset destroys open connections with ECONNRESET and resets new ones until healed', async () => {
    const old = await client();
    old.socket.write('ping');
    await receivedAtLeast(old, 4, 2_000);

    proxy.reset();
    await closedWithin(old, 2_000);
    expect(old.error()?.code).toBe('ECONNRESET');

    // The RST can beat the client's own 'connect' event, so do not wait for it.
    const fresh = openClient(proxy.port);
    clients.push(fresh);
    fresh.socket.write('ping');
    await closedWithin(fresh, 2_000);
    expect(fresh.error()?.code).toBe('ECONNRESET');
    expect(fresh.received().length).toBe(0);
    expect(proxy.stats()).toMatchObject({ accepted: 2, resets: 2 });
    // Wait for the target's side of the reset connection to go, then nothing should be left open.
    for (let i = 0; i < 100 && proxy.stats().open > 0; i++) await sleep(10);
    expect(proxy.stats().open).toBe(0);

    proxy.heal();
    const later = await client();
    later.socket.write('pong');
    expect((await receivedAtLeast(later, 4, 2_000)).toString()).toBe('pong');
  });

  it('passes a refusing target on to the client as a reset', async () => {
    const [unused] = (await freePorts(1)) as [number];
    const dead = await startFaultProxy({ target: { port: unused } });
    try {
      const c = openClient(dead.port);
      clients.push(c);
      await closedWithin(c, 2_000);
      expect(c.error()?.code).toBe('ECONNRESET');
      expect(dead.stats()).toMatchObject({ accepted: 1, resets: 1 });
    } finally {
      await dead.close();
    }
  });

  it('close ends every connection and stops listening; later faults throw, heal does not', async () => {
    const held = await client();
    proxy.blackhole();
    const pending = await client();
    await proxy.close();
    await closedWithin(held, 2_000);
    await closedWithin(pending, 2_000);
    expect(proxy.stats().open).toBe(0);
    await expect(connectClient(proxy.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(() => proxy.blackhole()).toThrow(TestkitError);
    expect(() => proxy.reset()).toThrow(/closed/);
    expect(() => proxy.heal()).not.toThrow();
    await proxy.close();
  });

  it('refuses a negative latency and a bad target port', async () => {
    expect(() => proxy.latency(-1)).toThrow(TestkitError);
    expect(() => proxy.latency(Number.NaN)).toThrow(/latency/);
    await expect(startFaultProxy({ target: { port: 0 } })).rejects.toBeInstanceOf(TestkitError);
    proxy.latency(0);
    expect(proxy.fault).toEqual({ kind: 'pass' });
  });

  it('reports a port it cannot listen on as TESTKIT_PROXY_FAILED', async () => {
    await expect(startFaultProxy({ target: { port: echo.port }, port: echo.port })).rejects.toMatchObject({
      code: 'TESTKIT_PROXY_FAILED',
    });
  });
});

describe('FaultProxy cleanup', () => {
  /**
   * Ref'd TCP handles and timers in this process, from Node's own bookkeeping: the ones that would
   * keep a test process alive. (The proxy's server and timers are unref'd and do not show here.)
   */
  function liveResources(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const kind of process.getActiveResourcesInfo()) {
      if (/TCP|Timeout/.test(kind)) counts[kind] = (counts[kind] ?? 0) + 1;
    }
    return counts;
  }

  it('leaves no socket, server or timer behind, even with bytes queued and connections held', async () => {
    const baseline = liveResources();
    const echo = await startEcho();
    const proxy = await startFaultProxy({ target: { port: echo.port } });
    const latent = await connectClient(proxy.port);
    proxy.latency(5_000);
    latent.socket.write('queued for five seconds');
    await sleep(50);
    proxy.blackhole();
    const held = await connectClient(proxy.port);
    held.socket.write('held');
    await sleep(50);
    expect(proxy.stats().open).toBe(2);
    // Proves the count sees these sockets, so the check after close can fail.
    expect(liveResources().TCPSocketWrap ?? 0).toBeGreaterThanOrEqual((baseline.TCPSocketWrap ?? 0) + 4);

    await proxy.close();
    await closedWithin(latent, 2_000);
    await closedWithin(held, 2_000);
    for (const socket of echo.sockets) socket.destroy();
    await new Promise<void>((done) => echo.server.close(() => done()));
    // Earlier tests' handles may still be closing at the baseline, so compare as at most, not equal.
    const notAbove = (): boolean =>
      Object.entries(liveResources()).every(([kind, count]) => count <= (baseline[kind] ?? 0));
    for (let i = 0; i < 100 && !notAbove(); i++) await sleep(20);
    expect({ baseline, now: liveResources(), notAbove: notAbove() }).toMatchObject({ notAbove: true });
  });
});
