import {
  duration,
  type GroupCheckpoint,
  latestGroupCheckpoints,
  readCheckpointRecords,
  summarizeCheckpointGroups,
  textTable,
} from '@mirrorkit/core';
import { stringFlag } from '../cli-args.js';
import { requireFlowAliases } from '../cli-config.js';
import { EXIT, MirrorKitCliError } from '../cli-error.js';
import { ClusterAccess } from '../cluster-access.js';
import type { Command } from './command.js';

/** The result of `mirrorkit translate`, also its `--json` shape (offsets as strings). */
export interface TranslateResult {
  readonly group: string;
  readonly from: string;
  readonly to: string;
  readonly checkpointsTopic: string;
  readonly offsets: readonly (GroupCheckpoint & { readonly ageMs: number })[];
  /** Records in the checkpoints topic that were not checkpoints (skipped). */
  readonly skippedRecords: number;
}

/**
 * Reads the group's checkpoints for the flow `from -> to` on `to`. CLI_NO_CHECKPOINTS when no flow
 * checkpoints there, CLI_UNKNOWN_GROUP (naming the groups that do have checkpoints) when the group
 * has none.
 */
export async function translateGroup(
  access: ClusterAccess,
  options: { group: string; from: string; to: string },
): Promise<TranslateResult> {
  const { group, from, to } = options;
  const { policy } = access.config;
  const read = await access.call(to, 'reading checkpoints', () =>
    readCheckpointRecords(access.kafka(to), policy, from, access.timeoutMs * 3),
  );
  if (read === null) {
    throw new MirrorKitCliError(
      'CLI_NO_CHECKPOINTS',
      `${to} has no ${policy.checkpointsTopic(from)}: no MirrorMaker 2 (or sidecar) flow ${from}->${to} writes checkpoints there`,
    );
  }
  const offsets = latestGroupCheckpoints(read.checkpoints, group, policy);
  if (offsets.length === 0) {
    const known = summarizeCheckpointGroups(read.checkpoints).map((g) => g.group);
    throw new MirrorKitCliError(
      'CLI_UNKNOWN_GROUP',
      `group "${group}" has no checkpoints in ${read.topic} on ${to} (groups with checkpoints: ${known.length > 0 ? known.slice(0, 10).join(', ') : 'none'})`,
    );
  }
  const now = Date.now();
  return {
    group,
    from,
    to,
    checkpointsTopic: read.topic,
    offsets: offsets.map((o) => ({ ...o, ageMs: Math.max(0, now - o.writtenAtMs) })),
    skippedRecords: read.skipped,
  };
}

/** The human table of a {@link TranslateResult}. */
export function formatTranslate(result: TranslateResult): string {
  const rows = [
    ['TOPIC', 'PARTITION', 'SOURCE OFFSET', 'TARGET OFFSET', 'CHECKPOINT AGE'],
    ...result.offsets.map((o) => [
      o.topic,
      String(o.partition),
      o.sourceOffset.toString(),
      o.targetOffset.toString(),
      duration(o.ageMs),
    ]),
  ];
  const lines = [
    `Group ${result.group}: ${result.from} → ${result.to} (from ${result.checkpointsTopic} on ${result.to})`,
    '',
    textTable(rows),
  ];
  if (result.skippedRecords > 0)
    lines.push(
      '',
      `${result.skippedRecords} record(s) in ${result.checkpointsTopic} were not checkpoints and were skipped`,
    );
  return lines.join('\n');
}

export const translateCommand: Command = {
  name: 'translate',
  summary:
    "Translates a consumer group's committed offsets from one cluster to another through MirrorMaker 2's checkpoints, without changing anything.",
  flags: {
    group: { kind: 'string', help: 'the consumer group', required: true },
    from: { kind: 'string', help: 'the cluster the group consumed on (the flow source)', required: true },
    to: { kind: 'string', help: 'the cluster to translate to (the flow target)', required: true },
  },
  async run({ flags, loadConfig, output, timeoutMs }) {
    const config = loadConfig();
    const { from, to } = requireFlowAliases(config, flags);
    const access = new ClusterAccess(config, timeoutMs);
    await access.requireReachable(to);
    const result = await output.waiting(`reading checkpoints on ${to}`, () =>
      translateGroup(access, { group: stringFlag(flags, 'group') as string, from, to }),
    );
    output.result(result, () => formatTranslate(result));
    return EXIT.OK;
  },
};
