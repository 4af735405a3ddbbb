/**
 * @packageDocumentation
 * `@mirrorkit/cli`: The mirrorkit command: the failover runbook as commands.
 *
 * This package is a shell in the workspace; its API lands with its own issue.
 */
export const PACKAGE_NAME = '@mirrorkit/cli';
