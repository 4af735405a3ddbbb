import { isSecretKey } from './config-error.js';
import { configDefList, type InlineComment, inlineComment } from './kafka-config-values.js';

/**
 * How much a note matters: `warning` when MM2 (and MirrorKit) read the value as it looks despite
 * the oddity; `loud` when they read it differently from how it looks, e.g. `true # …`, which MM2
 * takes for false.
 */
export type Mm2NoteSeverity = 'warning' | 'loud';

/** Something about a value of an mm2.properties file that a person should know; never a secret. */
export interface Mm2PropertyNote {
  /** The full key, e.g. `us-west->us-east.enabled`. */
  readonly key: string;
  readonly line: number | undefined;
  readonly severity: Mm2NoteSeverity;
  /** Starts with the key; values of secret keys never appear. */
  readonly message: string;
  /** Where MM2 acts differently from MirrorKit on this value, how. */
  readonly mm2Differs?: string;
}

/** A note as one line: `line 8: us-west->us-east.enabled = …`. */
export function formatNote(note: Mm2PropertyNote): string {
  return note.line === undefined ? note.message : `line ${note.line}: ${note.message}`;
}

/** The value as a message may show it: quoted, or `(value not shown)` for secret keys. */
export function shownValue(key: string, raw: string): string {
  return isSecretKey(key) ? '(value not shown)' : `"${raw}"`;
}

const NO_INLINE_COMMENTS =
  'Java properties have no inline comments: MM2 reads everything after the separator as the value; put the comment on a line of its own';

/** The hint an error about a value appends when the value seems to carry a comment. */
export function inlineCommentHint(raw: string): string {
  return inlineComment(raw) ? ` (${NO_INLINE_COMMENTS})` : '';
}

/** How the key of a value with an inline comment is read, which decides what the comment does. */
export type CommentedKeyUse =
  /** A flow's list of patterns (`topics`, `groups`, …). */
  | { readonly kind: 'pattern-list' }
  /** Free text MM2 takes as it is (`replication.policy.separator`, `source.cluster.alias`). */
  | { readonly kind: 'text' }
  /** A typed flow setting no flow takes (each sets its own), so nothing parses it. */
  | { readonly kind: 'unused' }
  /** Given to MM2's Connect workers; MirrorKit ignores it. */
  | { readonly kind: 'connect-worker' }
  /** Given to the Kafka clients of a cluster (by MM2 and by MirrorKit). */
  | { readonly kind: 'client'; readonly alias: string | undefined }
  /** Anything else MM2 takes as it is. */
  | { readonly kind: 'other' };

/**
 * The note for a value that carries what looks like an inline comment, when the key is not one
 * whose ConfigDef would refuse it (those are errors) nor a flow switch (see the flow notes).
 */
export function inlineCommentNote(
  key: string,
  line: number | undefined,
  raw: string,
  use: CommentedKeyUse,
): Mm2PropertyNote | undefined {
  const found = inlineComment(raw);
  if (!found) return undefined;
  const head = `${key} = ${shownValue(key, raw)} looks like it ends in a comment`;
  if (isSecretKey(key)) {
    return {
      key,
      line,
      severity: 'loud',
      message: `${key} (value not shown) contains " #" or " !" as if a comment followed: ${NO_INLINE_COMMENTS}. MM2 and MirrorKit use all of it as the value`,
    };
  }
  const loud = (message: string, mm2Differs?: string): Mm2PropertyNote => ({
    key,
    line,
    severity: 'loud',
    message: `${head}. ${message}. ${NO_INLINE_COMMENTS}`,
    ...(mm2Differs !== undefined ? { mm2Differs } : {}),
  });
  switch (use.kind) {
    case 'pattern-list':
      return loud(patternListReading(raw, found));
    case 'text':
      return loud(`MM2 and MirrorKit use all of it, "${raw}", not "${found.intended}"`);
    case 'unused':
      return {
        key,
        line,
        severity: 'warning',
        message: `${head}. Every flow sets its own ${key}, so neither MM2 nor MirrorKit reads this one; MM2 would refuse it if a flow did. ${NO_INLINE_COMMENTS}`,
      };
    case 'connect-worker':
      return loud(
        'MirrorKit ignores this Connect worker setting',
        `MM2 hands all of "${raw}" to its Connect workers, comment included; a number, boolean or class name with a comment stops MM2 at start`,
      );
    case 'client':
      return loud(
        `MM2 and MirrorKit hand all of it to the Kafka clients${use.alias !== undefined ? ` of ${use.alias}` : ''}, comment included; a number, boolean or name with a comment is refused or misread there`,
      );
    case 'other':
      return loud(`MM2 reads all of "${raw}" as the value`);
  }
}

function patternListReading(raw: string, found: InlineComment): string {
  const entries = configDefList(raw);
  const meant = configDefList(found.intended);
  const meantLast = meant[meant.length - 1];
  // The comment joins the last intended pattern, and any comma in it makes more patterns.
  const changed = entries.slice(Math.max(meant.length - 1, 0)).map((e) => `"${e}"`);
  return meantLast === undefined
    ? `MM2 and MirrorKit read it as the pattern(s) ${changed.join(', ')}`
    : `MM2 and MirrorKit read the pattern(s) ${changed.join(', ')} where "${meantLast}" was meant, so "${meantLast}" matches nothing it was meant to`;
}
