import type { ResolvedConfig } from './client-config.js';
import { MirrorKitClientError } from './client-error.js';
import type { ConsumerEvents } from './client-events.js';
import type { HealthMonitor } from './health-monitor.js';
import { decideFailover, FailoverHold, resolveSplitBrainGuard } from './split-brain-guard.js';

/** What a client sets about failing over by itself. */
export interface AutomaticFailoverOptions {
  automaticFailover?: boolean | { target?: string };
  splitBrainGuard?: boolean | { silenceMs?: number };
}

/** How the rule reaches the client it acts for. */
export interface AutomaticFailoverHooks {
  /** The cluster the client uses now. */
  active(): string;
  /** False while the client cannot act: not started, closing, or a switch of its own under way. */
  ready(): boolean;
  /** Switches to `target`; settles when the switch has finished or failed. */
  switchTo(target: string): Promise<void>;
  held(info: ConsumerEvents['failover:held'][0]): void;
  error(error: Error): void;
}

/**
 * When a client fails over by itself: its active cluster crossed the failure threshold, a healthy
 * target exists, and — with the split-brain guard on (the default) — MM2's heartbeats from the
 * active cluster have gone silent on that target (see `decideFailover`). One rule for the consumer
 * and the producer, so the two halves of an application never disagree about an outage: an
 * instance cut off alone keeps both at home.
 *
 * 'unhealthy' comes once per outage, so a held failover is weighed again on every later probe and
 * heartbeat reading, and the hold ends quietly when the cluster answers again.
 */
export class AutomaticFailover {
  readonly #config: ResolvedConfig;
  readonly #monitor: HealthMonitor;
  readonly #options: AutomaticFailoverOptions;
  readonly #hooks: AutomaticFailoverHooks;
  readonly #guard: { readonly silenceMs: number } | null;
  readonly #hold = new FailoverHold();

  constructor(
    config: ResolvedConfig,
    monitor: HealthMonitor,
    options: AutomaticFailoverOptions,
    hooks: AutomaticFailoverHooks,
  ) {
    const auto = options.automaticFailover;
    if (typeof auto === 'object' && auto.target !== undefined)
      config.requireAlias(auto.target, 'automaticFailover.target');
    this.#config = config;
    this.#monitor = monitor;
    this.#options = options;
    this.#hooks = hooks;
    this.#guard = resolveSplitBrainGuard(options.splitBrainGuard);
  }

  /** Starts watching the monitor; does nothing unless `automaticFailover` is set. */
  attach(): this {
    const monitor = this.#monitor;
    const hooks = this.#hooks;
    if (!this.#options.automaticFailover) return this;
    if (this.#guard) monitor.watchHeartbeatsDuringOutages();
    monitor.on('unhealthy', (health) => {
      if (health.alias === hooks.active() && hooks.ready()) void this.#weigh();
    });
    monitor.on('health', () => {
      if (this.#hold.held && hooks.ready()) void this.#weigh();
    });
    return this;
  }

  async #weigh(): Promise<void> {
    const hold = this.#hold;
    // A switch this rule started is under way; the next verdict belongs to the next outage.
    if (hold.switching) return;
    const from = this.#hooks.active();
    if (!this.#monitor.isUnhealthy(from)) {
      hold.release();
      return;
    }
    const auto = this.#options.automaticFailover;
    const preferred = typeof auto === 'object' ? auto.target : undefined;
    const candidates = preferred ? [preferred] : this.#config.aliases;
    const target = candidates.find((alias) => alias !== from && !this.#monitor.isUnhealthy(alias));
    if (!target) {
      // Reported once per outage; a held failover stays held meanwhile.
      if (hold.held) return;
      this.#hooks.error(
        new MirrorKitClientError(
          'CLIENT_FAILOVER_FAILED',
          `${from} is unhealthy and no healthy cluster is left to fail over to`,
        ),
      );
      return;
    }
    const guard = this.#guard;
    if (guard) {
      // The heartbeats are those MM2 replicated from `from` into the very cluster the client would
      // move to: the flow whose checkpoints a consumer's failover is about to trust.
      const evidence = this.#monitor.heartbeatEvidence(from, target);
      const verdict = decideFailover({ primaryUnhealthy: true, ...evidence, silenceMs: guard.silenceMs });
      if (verdict.decision === 'hold') {
        // Waiting cannot settle a flow that never showed a heartbeat; anything else may be a real
        // crash whose heartbeats have not been silent long enough yet. Then read again the moment
        // they would have been, rather than a probe round later.
        if (verdict.reason === 'heartbeats-fresh' || verdict.reason === 'heartbeats-arriving')
          this.#monitor.readHeartbeatsWhenSilent(from, target, guard.silenceMs);
        if (verdict.reason !== 'no-heartbeats' && hold.holdQuietly(Date.now(), guard.silenceMs)) return;
        if (verdict.reason !== 'primary-healthy' && hold.hold(target, verdict.reason))
          this.#hooks.held({
            from,
            to: target,
            reason: verdict.reason,
            heartbeatAgeMs: evidence.heartbeatAgeMs,
            sinceArrivalMs: evidence.sinceArrivalMs,
            silenceMs: guard.silenceMs,
          });
        return;
      }
    }
    hold.release();
    hold.switching = true;
    try {
      await this.#hooks.switchTo(target);
    } catch (error) {
      this.#hooks.error(error instanceof Error ? error : new Error(String(error)));
    } finally {
      hold.switching = false;
    }
  }
}
