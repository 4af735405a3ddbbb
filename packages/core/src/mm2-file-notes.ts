import { configDefBoolean, configDefInteger, inlineComment } from './kafka-config-values.js';
import { MM2_DEPRECATED_KEYS, MM2_FLOW_KEYS, MM2_PARSE_BOOLEAN_KEYS } from './mm2-key-catalog.js';
import { type Mm2KeyScope, mm2KeyScope } from './mm2-key-scope.js';
import type { FlowConfig } from './mm2-properties.js';
import { type CommentedKeyUse, inlineCommentNote, type Mm2PropertyNote } from './mm2-property-notes.js';
import { settingSupport } from './mm2-setting-support.js';

const PATTERN_LISTS = new Set([
  'topics',
  'topics.exclude',
  'groups',
  'groups.exclude',
  'config.properties.exclude',
]);

function commentedKeyUse(
  scope: Mm2KeyScope,
  key: string,
  value: string,
  clusters: readonly string[],
): CommentedKeyUse {
  switch (scope.kind) {
    case 'flow':
    case 'flow-default': {
      const setting = MM2_DEPRECATED_KEYS[scope.setting] ?? scope.setting;
      if (PATTERN_LISTS.has(setting)) return { kind: 'pattern-list' };
      if (/^(consumer|producer|admin)\./.test(setting)) return { kind: 'client', alias: undefined };
      const spec = MM2_FLOW_KEYS.get(setting);
      if (spec?.type === 'string' && !spec.oneOf) return { kind: 'text' };
      if (spec?.type === 'list') return { kind: 'other' };
      // A typed value a flow takes would have been refused; this one no resolved flow takes.
      return { kind: 'unused' };
    }
    case 'cluster':
      return { kind: 'client', alias: scope.alias };
    case 'passthrough':
      if (settingSupport(key, value, clusters)?.kind === 'connect-worker') return { kind: 'connect-worker' };
      if (/^(security|sasl|ssl|client)\./.test(scope.setting)) return { kind: 'client', alias: undefined };
      return { kind: 'other' };
    default:
      return { kind: 'other' };
  }
}

// A flow switch no resolved flow reported on: top-level, or of a pair the file does not enable.
function switchNote(
  key: string,
  line: number | undefined,
  value: string,
  setting: string,
): Mm2PropertyNote[] {
  if (configDefBoolean(value) !== undefined) return [];
  const comment = inlineComment(value);
  const looks = configDefBoolean(comment ? comment.intended : value);
  const what =
    setting === 'enabled'
      ? 'no pair replicates by it'
      : "no heartbeats where it applies (and MM2's MirrorHeartbeatConnector refuses it)";
  return [
    {
      key,
      line,
      severity: looks === false ? 'warning' : 'loud',
      message: `${key} = "${value}" is not exactly true or false: MM2 reads it as false (Boolean.parseBoolean), so ${what}; MirrorKit reads it the same way.${comment ? ' Java properties have no inline comments: put the comment on a line of its own' : ''}`,
    },
  ];
}

const INTERVAL_FEATURE: Readonly<Record<string, string>> = {
  'emit.heartbeats.interval.seconds': 'heartbeats',
  'emit.checkpoints.interval.seconds': 'checkpoints',
  'sync.group.offsets.interval.seconds': 'group offset sync',
  'refresh.topics.interval.seconds': 'the topic refresh',
  'refresh.groups.interval.seconds': 'the group refresh',
  'sync.topic.configs.interval.seconds': 'topic config sync',
  'sync.topic.acls.interval.seconds': 'ACL sync',
};

/**
 * The notes about single values of the file (`raw`: values as written, before `${env:…}`), other
 * than a resolved flow's own switches: inline comments, switches that are not exactly true or false,
 * negative intervals.
 */
export function fileNotes(
  raw: ReadonlyMap<string, string>,
  lines: ReadonlyMap<string, number>,
  clusters: readonly string[],
  flows: readonly FlowConfig[],
): Mm2PropertyNote[] {
  const notes: Mm2PropertyNote[] = [];
  for (const [key, value] of raw) {
    const line = lines.get(key);
    const scope = mm2KeyScope(key, clusters);
    if (scope.kind === 'flow' || scope.kind === 'flow-default') {
      const feature = INTERVAL_FEATURE[scope.setting];
      const seconds = feature ? configDefInteger(value, 'long') : undefined;
      if (feature && seconds !== undefined && seconds < 0n)
        notes.push({
          key,
          line,
          severity: 'warning',
          message: `${key} = ${value} is negative: MM2's scheduler skips a task with a negative interval, so ${feature} is off where it applies; MirrorKit does the same`,
        });
      if (MM2_PARSE_BOOLEAN_KEYS.has(scope.setting)) {
        const resolved =
          scope.kind === 'flow' && flows.some((f) => f.source === scope.source && f.target === scope.target);
        if (!resolved) notes.push(...switchNote(key, line, value, scope.setting));
        continue;
      }
    }
    const note = inlineCommentNote(key, line, value, commentedKeyUse(scope, key, value, clusters));
    if (note) notes.push(note);
  }
  return notes;
}
