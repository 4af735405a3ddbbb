// bench/core: encode/decode throughput of MM2 record codecs. `pnpm bench core`.
import {
  decodeCheckpoint,
  decodeHeartbeat,
  decodeOffsetSync,
  encodeCheckpoint,
  encodeHeartbeat,
  encodeOffsetSync,
} from '@mirrorkit/core';
import { fmt, opsPerSecond, table } from './measure.js';

function each<T>(items: readonly T[], work: (item: T) => unknown): number {
  for (const item of items) work(item);
  return items.length;
}

export function runCoreCodecs(): void {
  const batch = 1000;
  const checkpoints = Array.from({ length: batch }, (_, i) => ({
    consumerGroupId: `billing-${i % 10}`,
    topic: 'us-east.orders',
    partition: i % 12,
    upstreamOffset: BigInt(1_000_000 + i),
    downstreamOffset: BigInt(999_000 + i),
    metadata: '',
  }));
  const encodedCheckpoints = checkpoints.map(encodeCheckpoint);
  const syncs = checkpoints.map((c) => ({
    topic: 'orders',
    partition: c.partition,
    upstreamOffset: c.upstreamOffset,
    downstreamOffset: c.downstreamOffset,
  }));
  const encodedSyncs = syncs.map(encodeOffsetSync);
  const beats = checkpoints.map((c) => ({
    sourceClusterAlias: 'us-east',
    targetClusterAlias: 'us-west',
    timestamp: c.upstreamOffset,
  }));
  const encodedBeats = beats.map(encodeHeartbeat);

  const rows: string[][] = [['record', 'encode rec/s', 'decode rec/s', 'bytes (key+value)']];
  const size = (e: { key: Buffer; value: Buffer }): string => String(e.key.length + e.value.length);
  rows.push([
    'checkpoint',
    fmt(opsPerSecond(() => each(checkpoints, encodeCheckpoint))),
    fmt(opsPerSecond(() => each(encodedCheckpoints, (e) => decodeCheckpoint(e.key, e.value)))),
    size(encodedCheckpoints[0] as { key: Buffer; value: Buffer }),
  ]);
  rows.push([
    'offset sync',
    fmt(opsPerSecond(() => each(syncs, encodeOffsetSync))),
    fmt(opsPerSecond(() => each(encodedSyncs, (e) => decodeOffsetSync(e.key, e.value)))),
    size(encodedSyncs[0] as { key: Buffer; value: Buffer }),
  ]);
  rows.push([
    'heartbeat',
    fmt(opsPerSecond(() => each(beats, encodeHeartbeat))),
    fmt(opsPerSecond(() => each(encodedBeats, (e) => decodeHeartbeat(e.key, e.value)))),
    size(encodedBeats[0] as { key: Buffer; value: Buffer }),
  ]);
  console.log(`MM2 record codecs (Node ${process.version}, one core)\n${table(rows)}`);
}
