/**
 * Seconds within which MirrorKit's replicator picks up new topics and partitions through its
 * metadata watch. In core so the CLI can explain `refresh.topics.interval.seconds` without
 * depending on the replicator.
 */
export const TOPIC_WATCH_INTERVAL_SECONDS = 5;
