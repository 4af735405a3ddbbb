import { TestkitError } from './testkit-error.js';

// The alias becomes a folder name under the run directory, and that folder is removed on stop:
// `.`, `..` or a separator would point the removal at some other folder. Starting with a letter or
// digit rules out `.`, `..`, dot files and option-like names in one go.
const ALIAS = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Throws unless `alias` is safe to use as one folder name: 1 to 64 characters of `[A-Za-z0-9._-]`,
 * starting with a letter or digit (so never `.`, `..` or a path).
 */
export function assertClusterAlias(alias: string): void {
  if (!ALIAS.test(alias)) {
    throw new TestkitError(
      'TESTKIT_BAD_ARGUMENT',
      `cluster alias ${JSON.stringify(alias)} must be 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit`,
    );
  }
}
