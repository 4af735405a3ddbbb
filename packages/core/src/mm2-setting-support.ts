import { configDefBoolean, javaTrim } from './kafka-config-values.js';
import { MM2_FLOW_KEYS } from './mm2-key-catalog.js';
import { mm2KeyScope } from './mm2-key-scope.js';
import type { MirrorMakerConfig } from './mm2-properties.js';

/**
 * Why MirrorKit does not act on a setting:
 * - `connect-worker`: it configures MM2's Kafka Connect runtime, which MirrorKit does not have;
 * - `not-needed`: MirrorKit gets the same effect another way;
 * - `not-supported`: MM2 would do something MirrorKit does not;
 * - `no-effect`: neither MM2 nor MirrorKit does anything with it (as set).
 */
export type SettingSupportKind = 'connect-worker' | 'not-needed' | 'not-supported' | 'no-effect';

/** Why MirrorKit does not act on one setting. */
export interface SettingSupport {
  readonly kind: SettingSupportKind;
  readonly reason: string;
}

/** A setting MirrorKit does not act on, with its line and why (as the sidecar logs it at start). */
export interface UnsupportedSetting {
  readonly key: string;
  readonly line: number | undefined;
  readonly reason: string;
}

const CONNECT_WORKER =
  /^(offset|config|status)\.storage\.|^(key|value|header)\.converter|^(task|worker|plugin|listeners|dedicated\.mode)/;

/**
 * Whether MirrorKit acts on the MM2 setting `key` (with `value`, after `${env:…}`): undefined when
 * it does, else why not. Per-cluster keys (`alias.…`) are the connection mapping's business.
 */
export function settingSupport(
  key: string,
  value: string,
  clusters: readonly string[],
): SettingSupport | undefined {
  const scope = mm2KeyScope(key, clusters);
  if (scope.kind !== 'flow' && scope.kind !== 'flow-default' && scope.kind !== 'passthrough')
    return undefined;
  const setting = scope.setting;
  if (setting === 'sync.topic.acls.enabled') {
    return configDefBoolean(value) === true
      ? { kind: 'not-supported', reason: 'ACLs are not synced' }
      : { kind: 'no-effect', reason: 'MirrorKit never syncs ACLs, which is what false asks for' };
  }
  if (setting === 'sync.topic.acls.interval.seconds')
    return { kind: 'not-supported', reason: 'ACLs are not synced' };
  if (setting === 'offset-syncs.topic.location')
    return javaTrim(value) === 'target'
      ? { kind: 'not-supported', reason: 'offset syncs are written to the source cluster only' }
      : undefined;
  if (setting === 'tasks.max')
    return {
      kind: 'not-needed',
      reason: 'parallelism comes from running more processes (they share a consumer group)',
    };
  if (CONNECT_WORKER.test(setting))
    return {
      kind: 'connect-worker',
      reason: 'a Kafka Connect setting; the replicator is not a Connect worker',
    };
  if (setting === 'errors.retry.timeout' || setting === 'errors.retry.delay.max.ms')
    return {
      kind: 'not-needed',
      reason:
        'sends the target may still accept are retried by the Kafka client until they succeed; Connect retries converters and transforms with it, which the replicator does not have',
    };
  if (setting === 'errors.log.enable' && configDefBoolean(value) !== true)
    return {
      kind: 'not-supported',
      reason: 'a skipped record is always logged (topic, partition, offset, error)',
    };
  if (setting === 'errors.log.include.messages' && configDefBoolean(value) === true)
    return {
      kind: 'not-supported',
      reason: 'record contents are never logged: they may hold personal data or secrets',
    };
  if (setting === 'refresh.groups.interval.seconds')
    return { kind: 'not-needed', reason: 'groups are listed at every checkpoint interval' };
  if (setting === 'consumer.poll.timeout.ms' || setting === 'admin.timeout.ms')
    return { kind: 'not-needed', reason: "MirrorKit's clients use their own poll and request timeouts" };
  if (setting === 'use.incremental.alter.configs')
    return {
      kind: 'not-needed',
      reason: 'topic configs are synced with AlterConfigs, sending every config the remote topic keeps',
    };
  if (
    /^(metric\.reporters|metrics\.|add\.source\.alias\.to\.metrics$|auto\.include\.jmx\.reporter$)/.test(
      setting,
    )
  )
    return {
      kind: 'not-needed',
      reason: 'metrics are served on /metrics (Prometheus), not through JMX reporters',
    };
  if (setting === 'forwarding.admin.class') {
    return javaTrim(value) === MM2_FLOW_KEYS.get(setting)?.defaultClass
      ? undefined
      : {
          kind: 'not-supported',
          reason: 'topics are created with the plain admin client, not a ForwardingAdmin',
        };
  }
  if (/^config\.providers(\.|$)/.test(setting))
    return {
      kind: 'not-supported',
      reason:
        'MirrorKit substitutes environment variables (the env provider) itself, configured or not; other config providers are not supported',
    };
  if (scope.kind === 'passthrough' && /^(consumer|producer|admin)\./.test(setting))
    return {
      kind: 'no-effect',
      reason: `MM2 gives top-level client settings to no client (set <alias>.${setting} for a cluster); nor does MirrorKit`,
    };
  return undefined;
}

/** Settings MM2 reads that MirrorKit does not act on, each with its line and why, in file order. */
export function unsupportedSettings(mm2: MirrorMakerConfig): UnsupportedSetting[] {
  const out: UnsupportedSetting[] = [];
  for (const [key, value] of mm2.properties) {
    const support = settingSupport(key, value, mm2.clusters);
    // Top-level client settings do nothing in MM2 either, but whoever set one expected an effect.
    if (support && (support.kind !== 'no-effect' || /^(consumer|producer|admin)\./.test(key)))
      out.push({ key, line: mm2.lines.get(key), reason: support.reason });
  }
  return out;
}
