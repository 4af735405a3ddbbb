import { randomUUID } from 'node:crypto';
import { MirrorKitError } from './errors.js';

/** A key parsed into its region and the id within that region. */
export interface RegionKey {
  readonly region: string;
  readonly id: string;
}

/** A key that is not `<region>:<id>`. */
export class MirrorKitRegionKeyError extends MirrorKitError {
  declare readonly code: 'REGION_KEY_INVALID';
  constructor(message: string) {
    super('REGION_KEY_INVALID', message);
  }
}

function checkRegion(region: string): void {
  if (typeof region !== 'string' || region.length === 0 || region.includes(':')) {
    throw new MirrorKitRegionKeyError(
      `region "${String(region)}" must be non-empty and must not contain ':'`,
    );
  }
}

/**
 * A region-prefixed key, `us-east:order-12345`. Two regions can then mint ids independently
 * without colliding, and a consumer can tell where an event was first accepted. The id defaults
 * to a random UUID v4.
 */
export function regionKey(region: string, id: string = randomUUID()): string {
  checkRegion(region);
  if (typeof id !== 'string' || id.length === 0)
    throw new MirrorKitRegionKeyError('id must be a non-empty string');
  return `${region}:${id}`;
}

/** Parses `<region>:<id>` (split at the first ':'; the id may contain more); null if it is not one. */
export function tryParseRegionKey(key: string | Buffer | null | undefined): RegionKey | null {
  if (key === null || key === undefined) return null;
  const text = typeof key === 'string' ? key : key.toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) return null;
  return { region: text.slice(0, colon), id: text.slice(colon + 1) };
}

/** Like {@link tryParseRegionKey} but throws {@link MirrorKitRegionKeyError} naming the bad key. */
export function parseRegionKey(key: string | Buffer | null | undefined): RegionKey {
  const parsed = tryParseRegionKey(key);
  if (!parsed) {
    const shown = key === null || key === undefined ? String(key) : JSON.stringify(String(key).slice(0, 80));
    throw new MirrorKitRegionKeyError(`key ${shown} is not "<region>:<id>"`);
  }
  return parsed;
}
