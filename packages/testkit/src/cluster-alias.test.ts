import { describe, expect, it } from 'vitest';
import { assertClusterAlias } from './cluster-alias.js';
import { TestkitError } from './testkit-error.js';

describe('cluster aliases', () => {
  it('accepts plain folder names', () => {
    for (const alias of ['us-east', 'us_west', 'dc1', 'a.b', 'A9'])
      expect(() => assertClusterAlias(alias)).not.toThrow();
  });

  it('refuses anything that could name another folder', () => {
    for (const alias of [
      '',
      '.',
      '..',
      '../x',
      'a/b',
      'a\\b',
      '/tmp',
      '.hidden',
      '-rf',
      'a b',
      'x'.repeat(65),
    ]) {
      expect(() => assertClusterAlias(alias), alias).toThrow(TestkitError);
    }
  });
});
