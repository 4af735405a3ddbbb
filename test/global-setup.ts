import { type KafkaCluster, startClusters } from '@mirrorkit/testkit';
import type { TestProject } from 'vitest/node';

/** What integration tests receive through `inject('kafka')`. */
export interface ProvidedKafka {
  version: string;
  clusters: Record<string, { bootstrapServers: string; logFile: string }>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafka: ProvidedKafka;
  }
}

let clusters: KafkaCluster[] = [];

/** Starts `us-east` and `us-west` once per integration run and hands their addresses to every test. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  clusters = await startClusters(['us-east', 'us-west']);
  const summary = clusters.map((c) => `${c.alias}=${c.bootstrapServers} (${c.startupMs} ms)`).join(', ');
  process.stdout.write(
    `[testkit] Kafka ${clusters[0]?.version} clusters up in ${Date.now() - started} ms: ${summary}\n`,
  );
  project.provide('kafka', {
    version: clusters[0]?.version ?? 'unknown',
    clusters: Object.fromEntries(
      clusters.map((c) => [c.alias, { bootstrapServers: c.bootstrapServers, logFile: c.logFile }]),
    ),
  });
  return async () => {
    await Promise.all(clusters.map((c) => c.stop()));
  };
}
