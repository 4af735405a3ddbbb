/**
 * @packageDocumentation
 * `@mirrorkit/active-active`: Dedup by region-prefixed keys and last-write-wins for active-active Kafka.
 *
 * This package is a shell in the workspace; its API lands with its own issue.
 */
export const PACKAGE_NAME = '@mirrorkit/active-active';
