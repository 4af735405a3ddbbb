import { createTopicsAndWait, type FlowConfig } from '@mirrorkit/core';
import type { Admin } from 'kafkajs';
import type { ReplicatorLogger } from '../logger.js';
import { replicatedConfigs } from '../topic-selection.js';
import { selectedTopics } from '../topic-watch.js';

const TOPIC_RESOURCE = 2;
// kafkajs reports where a config value comes from; 1 is a value set on the topic itself.
const DYNAMIC_TOPIC_CONFIG = 1;

/** What the target needs so every selected source topic has its remote topic. */
export interface RemoteTopicChanges {
  readonly create: readonly {
    readonly remote: string;
    readonly topic: string;
    readonly partitions: number;
  }[];
  readonly grow: readonly { readonly remote: string; readonly from: number; readonly to: number }[];
}

/**
 * Remote topics to create and to grow for `selected` (source topic → partitions), given the
 * remote topics that exist and their partition counts. Never shrinks: a partition cannot be
 * removed, and records already copied live there.
 */
export function remoteTopicChanges(
  selected: ReadonlyMap<string, number>,
  existing: ReadonlyMap<string, number>,
  remoteOf: (topic: string) => string,
): RemoteTopicChanges {
  const create: { remote: string; topic: string; partitions: number }[] = [];
  const grow: { remote: string; from: number; to: number }[] = [];
  for (const [topic, partitions] of selected) {
    const remote = remoteOf(topic);
    const have = existing.get(remote);
    if (have === undefined) create.push({ remote, topic, partitions });
    else if (have < partitions) grow.push({ remote, from: have, to: partitions });
  }
  return { create, grow };
}

/**
 * The configs to send for a remote topic whose explicit configs are `have`, so that it carries the
 * source's `wanted` ones; null when nothing differs. kafkajs has no incremental alter, so the
 * remote's own explicit configs the source does not set are sent too, or they would be reset.
 */
export function remoteConfigUpdate(
  wanted: Readonly<Record<string, string>>,
  have: Readonly<Record<string, string>>,
): Record<string, string> | null {
  const differs = Object.entries(wanted).some(([k, v]) => have[k] !== v);
  return differs ? { ...have, ...wanted } : null;
}

/**
 * MM2's topic sync for one flow: the selected source topics get remote topics on the target with
 * their partition counts, and (with sync.topic.configs) their explicit configs.
 */
export class TopicSync {
  constructor(
    private readonly flow: FlowConfig,
    private readonly sourceAdmin: Admin,
    private readonly targetAdmin: Admin,
    private readonly log: ReplicatorLogger,
    private readonly name: string,
  ) {}

  /** Creates or updates remote topics; returns the selected source topics and their partitions. */
  async sync(): Promise<Map<string, number>> {
    const { flow, targetAdmin } = this;
    // The watch's own selection, so a change it saw is the change this sync acts on.
    const selected = await selectedTopics(this.sourceAdmin, flow);
    const remoteOf = (topic: string): string => flow.policy.formatRemoteTopic(flow.source, topic);
    const targetTopics = new Set(await targetAdmin.listTopics());
    const existing = new Map<string, number>();
    const existingRemotes = [...selected.keys()].map(remoteOf).filter((r) => targetTopics.has(r));
    if (existingRemotes.length > 0)
      for (const t of (await targetAdmin.fetchTopicMetadata({ topics: existingRemotes })).topics)
        existing.set(t.name, t.partitions.length);
    const configs = selected.size > 0 ? await this.#sourceConfigs([...selected.keys()]) : new Map();
    const changes = remoteTopicChanges(selected, existing, remoteOf);
    // One request for all of them, as MM2 creates new topics: one per topic made a start with
    // hundreds of topics (heartbeats topics of many flows, say) take a round trip and a leader
    // wait each.
    if (changes.create.length > 0) {
      await createTopicsAndWait(targetAdmin, {
        topics: changes.create.map(({ remote, topic, partitions }) => ({
          topic: remote,
          numPartitions: partitions,
          replicationFactor: flow.replicationFactor,
          configEntries: Object.entries(configs.get(topic) ?? {}).map(([name, value]) => ({
            name,
            value: String(value),
          })),
        })),
      });
      for (const { remote, partitions } of changes.create)
        this.log.info('created remote topic', { flow: this.name, topic: remote, partitions });
    }
    for (const { remote, from, to } of changes.grow) {
      await targetAdmin.createPartitions({ topicPartitions: [{ topic: remote, count: to }] });
      this.log.info('grew remote topic', { flow: this.name, topic: remote, from, to });
    }
    if (flow.syncTopicConfigs.enabled) await this.#syncConfigs(selected, configs);
    return selected;
  }

  async #sourceConfigs(topics: string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>();
    const described = await this.sourceAdmin.describeConfigs({
      resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name })),
      includeSynonyms: false,
    });
    for (const resource of described.resources) {
      out.set(
        resource.resourceName,
        replicatedConfigs(
          this.flow,
          resource.configEntries.map((e) => ({
            name: e.configName,
            value: e.configValue,
            explicit: (e as { configSource?: number }).configSource === DYNAMIC_TOPIC_CONFIG,
          })),
        ),
      );
    }
    return out;
  }

  async #syncConfigs(
    topics: ReadonlyMap<string, number>,
    configs: Map<string, Record<string, string>>,
  ): Promise<void> {
    const { flow, targetAdmin } = this;
    const remotes = [...topics.keys()].map((t) => flow.policy.formatRemoteTopic(flow.source, t));
    if (remotes.length === 0) return;
    const current = await targetAdmin.describeConfigs({
      resources: remotes.map((name) => ({ type: TOPIC_RESOURCE, name })),
      includeSynonyms: false,
    });
    const currentByTopic = new Map(
      current.resources.map((r) => [
        r.resourceName,
        Object.fromEntries(
          r.configEntries
            .filter((e) => (e as { configSource?: number }).configSource === DYNAMIC_TOPIC_CONFIG)
            .map((e) => [e.configName, e.configValue]),
        ) as Record<string, string>,
      ]),
    );
    for (const topic of topics.keys()) {
      const remote = flow.policy.formatRemoteTopic(flow.source, topic);
      const wanted = configs.get(topic) ?? {};
      const update = remoteConfigUpdate(wanted, currentByTopic.get(remote) ?? {});
      if (update === null) continue;
      await targetAdmin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: TOPIC_RESOURCE,
            name: remote,
            configEntries: Object.entries(update).map(([name, value]) => ({ name, value })),
          },
        ],
      });
      this.log.info('synced topic configs', { flow: this.name, topic: remote, keys: Object.keys(wanted) });
    }
  }
}
