import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { TestkitError } from './testkit-error.js';

/** What a {@link FaultProxy} currently does to the traffic through it. */
export type FaultProxyFault =
  | { readonly kind: 'pass' }
  | { readonly kind: 'blackhole' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'latency'; readonly ms: number };

/** Counters of a {@link FaultProxy} since it started; a snapshot, not live. */
export interface FaultProxyStats {
  /** Client connections accepted, including those reset at once. */
  readonly accepted: number;
  /** Client connections not yet closed. */
  readonly open: number;
  /** Client connections the proxy ended with an RST (the `reset` fault, or the target refusing). */
  readonly resets: number;
  /** Bytes written towards the target (client to broker). */
  readonly bytesToTarget: number;
  /** Bytes written towards clients (broker to client). */
  readonly bytesToClient: number;
}

/** Options for {@link startFaultProxy}. */
export interface StartFaultProxyOptions {
  /** Where to forward to. `host` defaults to `127.0.0.1`. */
  target: { readonly host?: string; readonly port: number };
  /** Port to listen on; 0 (the default) lets the OS pick a free one. */
  port?: number;
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
}

/**
 * A TCP proxy on loopback with network faults switchable while clients are connected. Faults
 * apply to open connections and to new ones alike; only one fault is active at a time.
 *
 * - `pass`: forwards bytes as they come.
 * - `blackhole`: a network partition. Connections are still accepted (the kernel completes the
 *   handshake anyway) but nothing is forwarded either way and nothing is closed, so clients see
 *   requests that never get answered (request timeouts, not connect timeouts) rather than errors.
 *   The target sees no new connection until the heal. Bytes are held, not dropped: after
 *   {@link FaultProxy.heal} they flow on, as TCP delivers them once a partition heals.
 * - `reset`: open connections and every new one are ended with a TCP RST (clients see `ECONNRESET`).
 * - `latency(ms)`: every chunk is delivered `ms` later than it arrived, in each direction, in order.
 *
 * In front of Kafka, a proxy on the bootstrap port alone is not enough: clients connect to the
 * addresses the broker advertises once they have its metadata. Use `startCluster({ proxies })`,
 * which makes the broker advertise its proxies.
 *
 * @example
 * ```ts
 * const proxy = await startFaultProxy({ target: { port: 8080 } });
 * const socket = connect(proxy.port, proxy.host); // node:net
 * proxy.blackhole(); // writes on socket get no answer, and it stays open
 * proxy.heal(); // the held bytes are delivered
 * console.log(proxy.stats().bytesToTarget);
 * await proxy.close();
 * ```
 */
export interface FaultProxy {
  /** `host:port` the proxy listens on, ready to hand to kafkajs as a broker. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** `host:port` the proxy forwards to. */
  readonly target: string;
  readonly fault: FaultProxyFault;
  /** Stops forwarding in both directions without closing anything. */
  blackhole(): void;
  /** Resets every open connection and, until healed, every new one. */
  reset(): void;
  /** Delays every chunk by `ms` in each direction from now on; `latency(0)` is `heal()`. */
  latency(ms: number): void;
  /** Back to `pass`; held bytes flow on. A no-op once closed, so it is safe in cleanup code. */
  heal(): void;
  stats(): FaultProxyStats;
  /** Stops listening and destroys every connection and timer. Idempotent. */
  close(): Promise<void>;
}

// Above this many queued bytes per direction the proxy stops reading, so a slow or latent target
// pushes back on the sender through TCP instead of growing the proxy's memory.
const HIGH_WATER_BYTES = 1024 * 1024;

interface ProxyState {
  readonly fault: FaultProxyFault;
}

function isHolding(state: ProxyState): boolean {
  return state.fault.kind === 'blackhole';
}

function delayOf(state: ProxyState): number {
  return state.fault.kind === 'latency' ? state.fault.ms : 0;
}

/** One direction of a connection: reads from `source`, queues with due times, writes to `dest`. */
class Pipe {
  private readonly queue: { chunk: Buffer; due: number }[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private waitingForDrain = false;
  private sourceEnded = false;
  private dest: Socket | undefined;

  constructor(
    private readonly source: Socket,
    private readonly state: ProxyState,
    private readonly onForwarded: (bytes: number) => void,
  ) {
    source.on('data', (chunk: Buffer) => {
      // Due times are fixed on arrival, so a later latency change never reorders queued chunks.
      this.queue.push({ chunk, due: performance.now() + delayOf(this.state) });
      this.queuedBytes += chunk.length;
      this.pump();
    });
    source.on('end', () => {
      this.sourceEnded = true;
      this.pump();
    });
    // Adding the 'data' listener set the socket flowing; a blackholed one must not read.
    this.updateFlow();
  }

  attach(dest: Socket): void {
    this.dest = dest;
    dest.on('drain', () => {
      this.waitingForDrain = false;
      this.pump();
    });
    this.pump();
  }

  pump(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const dest = this.dest;
    if (dest !== undefined && (dest.destroyed || dest.writableEnded)) {
      // Nobody can receive these bytes any more.
      this.queue.length = 0;
      this.queuedBytes = 0;
    } else if (dest !== undefined && !isHolding(this.state) && !this.waitingForDrain) {
      while (this.queue.length > 0) {
        const head = this.queue[0]!;
        const wait = head.due - performance.now();
        if (wait > 0) {
          this.timer = setTimeout(() => this.pump(), Math.ceil(wait));
          // A pending delivery must not keep a test process alive on its own.
          this.timer.unref();
          break;
        }
        this.queue.shift();
        this.queuedBytes -= head.chunk.length;
        this.onForwarded(head.chunk.length);
        if (!dest.write(head.chunk)) {
          this.waitingForDrain = true;
          break;
        }
      }
      if (this.queue.length === 0 && this.sourceEnded && !dest.writableEnded) dest.end();
    }
    this.updateFlow();
  }

  private updateFlow(): void {
    if (this.source.destroyed) return;
    const read = !isHolding(this.state) && !this.waitingForDrain && this.queuedBytes < HIGH_WATER_BYTES;
    if (read) this.source.resume();
    else this.source.pause();
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }
}

function resetSocket(socket: Socket): void {
  // resetAndDestroy on an already destroyed socket would emit ERR_SOCKET_CLOSED instead.
  if (!socket.destroyed) socket.resetAndDestroy();
}

class Connection {
  private upstream: Socket | undefined;
  private readonly toTarget: Pipe;
  private toClientPipe: Pipe | undefined;
  private clientClosed = false;
  private upstreamClosed = false;

  constructor(
    private readonly client: Socket,
    private readonly proxy: FaultProxyImpl,
  ) {
    client.setNoDelay(true);
    // Errors surface as close(hadError) below; without a listener they would crash the process.
    client.on('error', () => undefined);
    this.toTarget = new Pipe(client, proxy, (bytes) => proxy.countToTarget(bytes));
    client.on('close', (hadError) => {
      this.clientClosed = true;
      this.toTarget.dispose();
      if (this.upstream !== undefined && hadError) resetSocket(this.upstream);
      this.settle();
    });
  }

  /** Opens the upstream side; deferred while blackholed, since a partitioned broker sees nothing. */
  open(): void {
    if (this.upstream !== undefined || this.client.destroyed) return;
    const upstream = connect({
      host: this.proxy.targetHost,
      port: this.proxy.targetPort,
      allowHalfOpen: true,
    });
    this.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on('error', () => undefined);
    const toClient = new Pipe(upstream, this.proxy, (bytes) => this.proxy.countToClient(bytes));
    this.toClientPipe = toClient;
    upstream.on('connect', () => {
      toClient.attach(this.client);
      this.toTarget.attach(upstream);
    });
    upstream.on('close', (hadError) => {
      this.upstreamClosed = true;
      toClient.dispose();
      // A refused or reset target is passed on as a reset, the nearest a client can see to a refusal.
      if (hadError && !this.client.destroyed) {
        this.proxy.countReset();
        resetSocket(this.client);
      }
      this.settle();
    });
  }

  /** Re-evaluates both directions after the fault changed. */
  wake(): void {
    if (this.upstream === undefined) {
      if (!isHolding(this.proxy)) this.open();
      return;
    }
    this.toTarget.pump();
    this.toClientPipe?.pump();
  }

  reset(): void {
    this.toTarget.dispose();
    this.toClientPipe?.dispose();
    if (!this.client.destroyed) this.proxy.countReset();
    resetSocket(this.client);
    if (this.upstream !== undefined) resetSocket(this.upstream);
  }

  destroy(): void {
    this.toTarget.dispose();
    this.toClientPipe?.dispose();
    this.client.destroy();
    this.upstream?.destroy();
  }

  private settle(): void {
    if (this.clientClosed && (this.upstream === undefined || this.upstreamClosed)) {
      this.proxy.forget(this);
    } else if (this.clientClosed && this.upstream !== undefined && !this.upstream.destroyed) {
      // Nothing can reach the client any more; keeping the broker side open would only leak it.
      this.upstream.destroy();
    }
  }
}

class FaultProxyImpl implements FaultProxy, ProxyState {
  fault: FaultProxyFault = { kind: 'pass' };
  readonly address: string;
  readonly target: string;
  private readonly connections = new Set<Connection>();
  private closed: Promise<void> | undefined;
  private accepted = 0;
  private resets = 0;
  private bytesToTarget = 0;
  private bytesToClient = 0;

  constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
    readonly targetHost: string,
    readonly targetPort: number,
  ) {
    this.address = `${host}:${port}`;
    this.target = `${targetHost}:${targetPort}`;
    server.on('connection', (socket) => this.accept(socket));
  }

  private accept(socket: Socket): void {
    this.accepted++;
    if (this.closed !== undefined) {
      socket.destroy();
      return;
    }
    if (this.fault.kind === 'reset') {
      socket.on('error', () => undefined);
      this.resets++;
      socket.resetAndDestroy();
      return;
    }
    const connection = new Connection(socket, this);
    this.connections.add(connection);
    if (!isHolding(this)) connection.open();
  }

  forget(connection: Connection): void {
    this.connections.delete(connection);
  }

  countToTarget(bytes: number): void {
    this.bytesToTarget += bytes;
  }

  countToClient(bytes: number): void {
    this.bytesToClient += bytes;
  }

  countReset(): void {
    this.resets++;
  }

  private setFault(fault: FaultProxyFault): void {
    if (this.closed !== undefined) {
      throw new TestkitError('TESTKIT_PROXY_CLOSED', `fault proxy ${this.address} is closed`);
    }
    this.fault = fault;
    if (fault.kind === 'reset') {
      for (const connection of [...this.connections]) connection.reset();
      return;
    }
    for (const connection of [...this.connections]) connection.wake();
  }

  blackhole(): void {
    this.setFault({ kind: 'blackhole' });
  }

  reset(): void {
    this.setFault({ kind: 'reset' });
  }

  latency(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new TestkitError('TESTKIT_BAD_ARGUMENT', `latency must be a finite number of ms >= 0, got ${ms}`);
    }
    this.setFault(ms === 0 ? { kind: 'pass' } : { kind: 'latency', ms });
  }

  heal(): void {
    if (this.closed !== undefined) return;
    this.setFault({ kind: 'pass' });
  }

  stats(): FaultProxyStats {
    return {
      accepted: this.accepted,
      open: this.connections.size,
      resets: this.resets,
      bytesToTarget: this.bytesToTarget,
      bytesToClient: this.bytesToClient,
    };
  }

  close(): Promise<void> {
    if (this.closed === undefined) {
      this.closed = new Promise<void>((resolveClose) => {
        // The callback waits for accepted sockets to close, so destroy them right after.
        this.server.close(() => resolveClose());
        for (const connection of [...this.connections]) connection.destroy();
        this.connections.clear();
      });
    }
    return this.closed;
  }
}

/**
 * Starts a {@link FaultProxy} in `pass` mode and resolves once it listens. The target need not be
 * up yet: each client connection opens its own connection to the target when it arrives.
 *
 * @example
 * ```ts
 * const proxy = await startFaultProxy({ target: { port: 8080 } });
 * proxy.latency(200);
 * // ... clients on proxy.address see 200 ms more each way
 * await proxy.close();
 * ```
 */
export async function startFaultProxy(options: StartFaultProxyOptions): Promise<FaultProxy> {
  const host = options.host ?? '127.0.0.1';
  const targetHost = options.target.host ?? '127.0.0.1';
  const { port: targetPort } = options.target;
  if (!Number.isInteger(targetPort) || targetPort <= 0 || targetPort > 65535) {
    throw new TestkitError('TESTKIT_BAD_ARGUMENT', `fault proxy target port ${targetPort} is not a TCP port`);
  }
  // Half-open on both sides, so a client's FIN reaches the target only after the bytes queued
  // before it; Node would otherwise end the other direction as soon as one side ends.
  const server = createServer({ allowHalfOpen: true });
  await new Promise<void>((resolveListen, rejectListen) => {
    const onError = (error: Error): void =>
      rejectListen(
        new TestkitError(
          'TESTKIT_PROXY_FAILED',
          `fault proxy could not listen on ${host}:${options.port ?? 0}`,
          {
            cause: error,
          },
        ),
      );
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      resolveListen();
    });
  });
  // Accept errors after listening (e.g. EMFILE) must not crash the test process.
  server.on('error', () => undefined);
  // A proxy a test forgot to close must not keep the process alive; open connections still do.
  server.unref();
  const address = server.address();
  if (address === null || typeof address === 'string') {
    server.close();
    throw new TestkitError('TESTKIT_PROXY_FAILED', 'fault proxy listen gave no port');
  }
  return new FaultProxyImpl(server, host, address.port, targetHost, targetPort);
}
