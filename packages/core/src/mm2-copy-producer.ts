import type { CompressionTypes } from 'kafkajs';
import {
  type CompressionCodecName,
  compressionNameOf,
  compressionTypeOf,
} from './compression/compression-type.js';
import { MirrorKitConfigError } from './config-error.js';
import type { FlowConfig, MirrorMakerConfig } from './mm2-properties.js';
import type { UnsupportedSetting } from './mm2-setting-support.js';

/** How a flow's copies are written to its target. */
export interface CopyProducerSettings {
  /** kafkajs compression of every copied batch. */
  readonly compression: CompressionTypes;
  /** Its `compression.type` name, for logs and metric labels. */
  readonly codec: CompressionCodecName | 'none';
  /** The key that chose it, or undefined for MM2's default (none). */
  readonly from: string | undefined;
  /** Producer settings found and not acted on, each with why. */
  readonly unsupported: readonly UnsupportedSetting[];
}

// Why each producer setting that Java's producer knows is not applied, so a user reading the
// start-up log knows what the copies do instead of guessing.
const NOT_APPLIED: readonly [RegExp, string][] = [
  [/^acks$/, 'copies always wait for all in-sync replicas (acks=all): an acknowledged copy is never lost'],
  [/^enable\.idempotence$/, 'copies are always written by an idempotent producer'],
  [
    /^(linger\.ms|batch\.size|buffer\.memory)$/,
    'each fetched batch is sent at once, in requests of at most 512 KiB',
  ],
  [
    /^compression\.(gzip|lz4|zstd)\.level$/,
    "codec levels are Kafka's defaults (zstd 3, lz4 and gzip their own)",
  ],
  [
    /^(max\.in\.flight\.requests\.per\.connection|retries|delivery\.timeout\.ms)$/,
    'copies keep one request in flight per partition and retry until acknowledged',
  ],
];

/**
 * How the copies of `flow` are written to its target: the copy producer's settings, from the keys MM2's own producer would read: the
 * target cluster's `<target>.producer.*` (the Connect worker's producer) and, over it, the flow's
 * `<source>-><target>.producer.override.*` (Connect's per-connector client override). Like MM2,
 * copies are uncompressed unless one of them sets `compression.type`.
 */
export function copyProducerSettings(flow: FlowConfig, mm2: MirrorMakerConfig): CopyProducerSettings {
  const clusterProducer = mm2.clusterConfigs.get(flow.target)?.producer ?? {};
  const settings = new Map<string, { value: string; key: string }>();
  for (const [name, value] of Object.entries(clusterProducer))
    settings.set(name, { value, key: `${flow.target}.producer.${name}` });
  const flowPrefix = `${flow.source}->${flow.target}.producer.override.`;
  for (const [key, value] of mm2.properties)
    if (key.startsWith(flowPrefix)) settings.set(key.slice(flowPrefix.length), { value, key });

  const unsupported: UnsupportedSetting[] = [];
  let compression = compressionTypeOf('none');
  let from: string | undefined;
  for (const [name, { value, key }] of settings) {
    const line = mm2.lines.get(key);
    if (name === 'compression.type') {
      try {
        compression = compressionTypeOf(value, key);
      } catch (error) {
        throw new MirrorKitConfigError(
          'CONFIG_INVALID_VALUE',
          (error as Error).message,
          line === undefined ? { key } : { key, line },
        );
      }
      from = key;
      continue;
    }
    const reason =
      NOT_APPLIED.find(([pattern]) => pattern.test(name))?.[1] ?? 'not used by the copy producer';
    unsupported.push({ key, line, reason });
  }
  // A flow's own producer.* (without override.) reaches no producer in MM2: a user who set it
  // expects an effect, so say so.
  const flowPlain = `${flow.source}->${flow.target}.producer.`;
  for (const [key] of mm2.properties) {
    if (!key.startsWith(flowPlain) || key.startsWith(flowPrefix)) continue;
    const name = key.slice(flowPlain.length);
    unsupported.push({
      key,
      line: mm2.lines.get(key),
      reason: `MM2 does not apply this to its copies; set ${flowPrefix}${name} or ${flow.target}.producer.${name}`,
    });
  }
  return { compression, codec: compressionNameOf(compression), from, unsupported };
}
