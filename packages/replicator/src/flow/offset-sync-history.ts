import {
  decodeOffsetSync,
  MirrorKitCodecError,
  type OffsetSync,
  OffsetSyncStore,
  readTopicToEnd,
} from '@mirrorkit/core';
import type { Kafka } from 'kafkajs';

/**
 * The offset syncs of one flow that checkpoints translate through: every sync on the source's
 * offset-syncs topic (whoever wrote it: another process may have owned a partition before), plus
 * the ones this process wrote since.
 */
export class OffsetSyncHistory {
  #store = new OffsetSyncStore();
  readonly #listeners = new Set<OffsetSync[]>();

  get store(): OffsetSyncStore {
    return this.#store;
  }

  /** Syncs the topic acknowledged. */
  add(syncs: readonly OffsetSync[]): void {
    for (const sync of syncs) {
      this.#store.add(sync);
      for (const listener of this.#listeners) listener.push(sync);
    }
  }

  /** Rebuilds the store from the whole topic, in topic order; returns the undecodable records skipped. */
  async reload(source: Kafka, topic: string): Promise<number> {
    const store = new OffsetSyncStore();
    // Syncs written while the topic is read go to the old store and here; the read may miss them
    // (its end is fixed when it starts), so they are replayed into the new store.
    const meanwhile: OffsetSync[] = [];
    this.#listeners.add(meanwhile);
    let skipped = 0;
    try {
      for (const record of await readTopicToEnd(source, topic, { timeoutMs: 60_000 })) {
        if (!record.key || !record.value) continue;
        try {
          store.add(decodeOffsetSync(record.key, record.value));
        } catch (error) {
          if (!(error instanceof MirrorKitCodecError)) throw error;
          skipped++;
        }
      }
    } finally {
      this.#listeners.delete(meanwhile);
    }
    for (const sync of meanwhile) store.add(sync);
    this.#store = store;
    return skipped;
  }
}
