import { randomBytes } from 'node:crypto';

/**
 * A KRaft cluster id: 16 random bytes as unpadded base64url, the form Kafka's `Uuid.fromString`
 * accepts. Kafka itself re-draws ids that start with '-' because they read as a CLI flag.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
