/**
 * @packageDocumentation
 * `@mirrorkit/replicator`: A sidecar replicator writing MirrorMaker 2 compatible topics, offset syncs, checkpoints and heartbeats.
 *
 * This package is a shell in the workspace; its API lands with its own issue.
 */
export const PACKAGE_NAME = '@mirrorkit/replicator';
