// Runs in every integration test file (vitest setupFiles). Heartbeats topics are replicated
// whatever a flow's topic filter says (MM2's rule, which MirrorKit keeps), and every test names its
// clusters afresh (uniqueName), so MM2's cycle check never sees a cycle: each test that replicates
// both ways between the shared clusters copies every remote heartbeats topic there is, both ways,
// doubling them. A few such files made thousands, and later tests spent their time copying them.
// After each file the remote ones go (the plain `heartbeats` topics stay); nothing of a finished
// file is read by another.
import { afterAll, inject } from 'vitest';
import { kafkaFor } from './kafka-context.js';

const REMOTE_HEARTBEATS = /\.heartbeats$/;

afterAll(async () => {
  const clusters = inject('kafka')?.clusters ?? {};
  for (const { bootstrapServers } of Object.values(clusters)) {
    const admin = kafkaFor(bootstrapServers, 'mirrorkit-test-hygiene').admin();
    try {
      await admin.connect();
      const remote = (await admin.listTopics()).filter((t) => REMOTE_HEARTBEATS.test(t));
      for (let i = 0; i < remote.length; i += 100)
        await admin.deleteTopics({ topics: remote.slice(i, i + 100), timeout: 30_000 });
    } catch {
      // A cluster a test stopped for good, or a slow delete: the next file tries again.
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}, 60_000);
