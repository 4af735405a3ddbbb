/**
 * @packageDocumentation
 * `@mirrorkit/client`: Failover-aware Kafka consumer and producer for multi-region topologies.
 *
 * This package is a shell in the workspace; its API lands with its own issue.
 */
export const PACKAGE_NAME = '@mirrorkit/client';
