import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import workspace packages from their TypeScript sources, so a test never runs against a
// stale dist/ and needs no build first.
const packages = ['core', 'testkit', 'client', 'active-active', 'replicator', 'cli'];
const resolve = {
  alias: {
    ...Object.fromEntries(
      packages.map((name) => [
        `@mirrorkit/${name}`,
        fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url)),
      ]),
    ),
    '@mirrorkit/example-support': fileURLToPath(new URL('./examples/support/src/index.ts', import.meta.url)),
  },
};

export default defineConfig({
  resolve,
  test: {
    projects: [
      {
        resolve,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**', '**/dist/**'],
          environment: 'node',
          // Unit tests do no I/O, so time never decides their outcome; but property tests run
          // hundreds of cases, and on a 2-core box shared with brokers (load 16 seen in CI) one took
          // 9.6 s against vitest's 5 s default. The bound is there to catch a hang, not to time them.
          testTimeout: 60_000,
        },
      },
      {
        resolve,
        test: {
          name: 'integration',
          include: [
            'packages/*/src/**/*.int.test.ts',
            'examples/*/**/*.int.test.ts',
            'test/**/*.int.test.ts',
          ],
          exclude: ['**/node_modules/**', '**/dist/**'],
          environment: 'node',
          globalSetup: ['./test/global-setup.ts'],
          setupFiles: ['./test/shared-cluster-hygiene.ts'],
          // Tests share two real clusters; one file at a time keeps a 2-core box responsive and
          // broker-kill tests from pulling the floor out from under their neighbours.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
