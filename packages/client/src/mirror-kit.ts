import {
  type ClusterConnection,
  type MirrorKitConfig,
  type ResolvedConfig,
  resolveConfig,
} from './client-config.js';
import { MirrorKitConsumer, type MirrorKitConsumerOptions } from './failover-consumer.js';
import { MirrorKitProducer, type MirrorKitProducerOptions } from './failover-producer.js';
import { HealthMonitor, type HealthMonitorOptions } from './health-monitor.js';
import { ProgressWriter, type ProgressWriterOptions } from './progress-writer.js';

/**
 * The entry point: validates the configuration once and creates region-aware consumers and
 * producers. Invalid configuration throws a `MirrorKitClientError` naming the field.
 *
 * @example
 * ```ts
 * const mk = new MirrorKit({
 *   clusters: { 'us-east': { brokers: ['east:9092'] }, 'us-west': { brokers: ['west:9092'] } },
 *   activeCluster: 'us-east',
 * });
 * const consumer = mk.consumer({ groupId: 'billing', automaticFailover: true });
 * const producer = mk.producer({ automaticFailover: true });
 * ```
 */
export class MirrorKit {
  readonly #config: ResolvedConfig;
  readonly #connections: Readonly<Record<string, ClusterConnection>>;

  constructor(config: MirrorKitConfig) {
    this.#config = resolveConfig(config);
    this.#connections = config.clusters;
  }

  /** Configured cluster aliases. */
  get aliases(): readonly string[] {
    return this.#config.aliases;
  }

  /** A health monitor over every configured cluster (not started). */
  healthMonitor(options?: HealthMonitorOptions): HealthMonitor {
    return new HealthMonitor(this.#config, this.#connections, options);
  }

  /** A failover-aware consumer; `health` tunes its monitor for automatic failover. */
  consumer(options: MirrorKitConsumerOptions & { health?: HealthMonitorOptions }): MirrorKitConsumer {
    return new MirrorKitConsumer(this.#config, this.healthMonitor(options.health), options);
  }

  /**
   * A writer of progress records for a plain kafkajs consumer (the MirrorKit consumer runs its
   * own): after each processed record, `processed(topic, partition, message)`; `mirrorkit failover`
   * then resumes the group right after the last one on the DR cluster.
   */
  progressWriter(options: ProgressWriterOptions): ProgressWriter {
    return new ProgressWriter(this.#config, options);
  }

  /** A failover-aware producer; `health` tunes its monitor for automatic failover. */
  producer(options: MirrorKitProducerOptions & { health?: HealthMonitorOptions } = {}): MirrorKitProducer {
    return new MirrorKitProducer(this.#config, this.healthMonitor(options.health), options);
  }
}
