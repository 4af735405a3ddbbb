#!/usr/bin/env node
// `pnpm kafka:up`: two local clusters for trying things by hand. Ctrl-C stops them cleanly.
import { assertClusterAlias } from '../cluster-alias.js';
import { startClusters } from '../kafka-cluster.js';

const aliases = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['us-east', 'us-west'];
// Checked before anything starts, so a bad alias never gets a run folder to clean up.
for (const alias of aliases) assertClusterAlias(alias);
const started = Date.now();
const clusters = await startClusters(aliases);
process.stdout.write(`Apache Kafka ${clusters[0]?.version} (KRaft) up in ${Date.now() - started} ms:\n`);
for (const cluster of clusters) {
  process.stdout.write(
    `  ${cluster.alias.padEnd(12)} ${cluster.bootstrapServers}   log: ${cluster.logFile}\n`,
  );
}
process.stdout.write('Press Ctrl-C to stop.\n');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: stopping clusters...\n`);
  await Promise.all(clusters.map((cluster) => cluster.stop()));
  process.stdout.write('stopped.\n');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
// Broker handles are unref'd so tests can exit; here the process must stay until a signal.
setInterval(() => undefined, 1 << 30);
