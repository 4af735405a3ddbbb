import { MirrorKitCodecError } from './codec-error.js';
import type { EncodedRecord, Heartbeat } from './records.js';
import { StructReader } from './struct-reader.js';
import { StructWriter } from './struct-writer.js';

/** The only heartbeat value version MM2 has written so far (Heartbeat.VERSION). */
export const HEARTBEAT_VERSION = 0;

/**
 * Encodes a heartbeat exactly as MM2's `Heartbeat` does.
 * Key: source alias (string), target alias (string). Value: version (int16) = 0, timestamp (int64).
 */
export function encodeHeartbeat(heartbeat: Heartbeat): EncodedRecord {
  const key = new StructWriter('heartbeat')
    .string('source_cluster_alias', heartbeat.sourceClusterAlias)
    .string('target_cluster_alias', heartbeat.targetClusterAlias)
    .toBuffer();
  const value = new StructWriter('heartbeat')
    .int16('version', HEARTBEAT_VERSION)
    .int64('timestamp', heartbeat.timestamp)
    .toBuffer();
  return { key, value };
}

/** Decodes a record of a heartbeats topic; bad bytes throw `MirrorKitCodecError`. */
export function decodeHeartbeat(key: Buffer, value: Buffer): Heartbeat {
  const k = new StructReader('heartbeat', key);
  const sourceClusterAlias = k.string('source_cluster_alias');
  const targetClusterAlias = k.string('target_cluster_alias');
  k.end('key');
  const v = new StructReader('heartbeat', value);
  const version = v.int16('version');
  if (version !== HEARTBEAT_VERSION) {
    throw new MirrorKitCodecError(
      'CODEC_UNKNOWN_VERSION',
      'heartbeat',
      'version',
      `version ${version} is not known (only ${HEARTBEAT_VERSION})`,
    );
  }
  const timestamp = v.int64('timestamp');
  v.end('value');
  return { sourceClusterAlias, targetClusterAlias, timestamp };
}
