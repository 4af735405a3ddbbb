import { onTestFailed } from 'vitest';
import { jsonLogger, type ReplicatorLogger } from './logger.js';

/**
 * A replicator logger for integration tests: keeps the lines, prints the last `tail` of them only
 * when the test fails (and every line as it comes with REPLICATOR_DEBUG set).
 */
export function testLog(tail = 60): ReplicatorLogger {
  const lines: string[] = [];
  onTestFailed(() => console.error(`---- replicator log ----\n${lines.slice(-tail).join('')}`));
  return jsonLogger((line) => {
    lines.push(line);
    if (process.env.REPLICATOR_DEBUG) process.stdout.write(line);
  });
}
