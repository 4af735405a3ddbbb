import { MM2_DEPRECATED_KEYS, MM2_FLOW_KEYS } from './mm2-key-catalog.js';

/** What one key of an mm2.properties file is about, by its shape. */
export type Mm2KeyScope =
  /** `clusters`. */
  | { readonly kind: 'clusters' }
  /** `A->B.setting`: one flow's setting (or one of its client overrides). */
  | { readonly kind: 'flow'; readonly source: string; readonly target: string; readonly setting: string }
  /** `setting`: a flow setting for every flow that does not set its own. */
  | { readonly kind: 'flow-default'; readonly setting: string }
  /** `alias.setting`: one cluster's connection or client setting. */
  | { readonly kind: 'cluster'; readonly alias: string; readonly setting: string }
  /** A top-level Connect worker or client setting MM2 passes on as it is. */
  | { readonly kind: 'passthrough'; readonly setting: string }
  /** Names a cluster alias that is not in `clusters`. */
  | { readonly kind: 'unknown-alias'; readonly alias: string }
  /** Not a key MM2 knows. */
  | { readonly kind: 'unknown' };

// Top-level namespaces MM2 hands to its Connect workers and clients as they are.
const PASSTHROUGH = [
  /^offset\.storage\./,
  /^config\.storage\./,
  /^status\.storage\./,
  /^(key|value|header)\.converter(\.|$)/,
  /^task\./,
  /^worker\./,
  /^config\.providers(\.|$)/,
  /^(consumer|producer|admin)\./,
  /^(security|sasl|ssl)\./,
  /^client\./,
  /^metric\.reporters$/,
  /^metrics\./,
  /^dedicated\.mode\./,
  /^exactly\.once\.source\.support$/,
  /^listeners$/,
  /^plugin\./,
];

/** True for a setting a flow may carry: one MM2 declares, a deprecated name, or a client override. */
export function isFlowSetting(setting: string): boolean {
  return (
    MM2_FLOW_KEYS.has(setting) ||
    setting in MM2_DEPRECATED_KEYS ||
    /^(consumer|producer|admin)\./.test(setting)
  );
}

function longestAliasPrefix(text: string, clusters: readonly string[]): string | undefined {
  // Aliases may contain dots, so the alias is the longest known one the text starts with.
  return clusters.filter((c) => text.startsWith(`${c}.`)).sort((a, b) => b.length - a.length)[0];
}

/** Classifies `key` against the cluster aliases of the file. */
export function mm2KeyScope(key: string, clusters: readonly string[]): Mm2KeyScope {
  if (key === 'clusters') return { kind: 'clusters' };
  const arrow = key.indexOf('->');
  if (arrow > 0) {
    const source = key.slice(0, arrow);
    const rest = key.slice(arrow + 2);
    const target = longestAliasPrefix(rest, clusters);
    if (!clusters.includes(source)) return { kind: 'unknown-alias', alias: source };
    if (target === undefined) return { kind: 'unknown-alias', alias: rest.split('.')[0] ?? rest };
    return { kind: 'flow', source, target, setting: rest.slice(target.length + 1) };
  }
  const alias = longestAliasPrefix(key, clusters);
  if (alias !== undefined) return { kind: 'cluster', alias, setting: key.slice(alias.length + 1) };
  if (key.endsWith('.bootstrap.servers'))
    return { kind: 'unknown-alias', alias: key.slice(0, -'.bootstrap.servers'.length) };
  if (MM2_FLOW_KEYS.has(key) || key in MM2_DEPRECATED_KEYS) return { kind: 'flow-default', setting: key };
  if (PASSTHROUGH.some((pattern) => pattern.test(key))) return { kind: 'passthrough', setting: key };
  return { kind: 'unknown' };
}
