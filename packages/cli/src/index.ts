/**
 * @packageDocumentation
 * `@mirrorkit/cli`: the `mirrorkit` command — the disaster-recovery runbook as commands (`status`,
 * `translate`, `failover`, `failback`, `validate`, `drill`, and `config check`, which needs no
 * cluster). The commands are also callable from code.
 *
 * @example
 * ```ts
 * import { runCli } from '@mirrorkit/cli';
 *
 * // Same as: mirrorkit translate --config mm2.properties --group billing --from us-east --to us-west --json
 * const exitCode = await runCli(
 *   ['translate', '--config', 'mm2.properties', '--group', 'billing', '--from', 'us-east', '--to', 'us-west', '--json'],
 *   { stdout: process.stdout, stderr: process.stderr, env: process.env },
 * );
 * ```
 */
// Registers zstd, lz4 and snappy with kafkajs (it ships gzip only) for every client in the process.
import '@mirrorkit/core';

export { type CliConfig, type CliFlow, loadCliConfig } from './cli-config.js';
export { type CliErrorCode, EXIT, type ExitCode, MirrorKitCliError } from './cli-error.js';
export { type CliIo, COMMANDS, runCli } from './cli-main.js';
export type { ConfigCheckKey, ConfigCheckResult } from './commands/config-check.js';
export type { DrillResult } from './commands/drill.js';
export type { FailoverResult, FailoverResultPosition, FailoverStep } from './commands/failover.js';
export type { FlowStatus, StatusResult } from './commands/status.js';
export type { TranslateResult } from './commands/translate.js';
export type { ValidateResult, Verdict } from './commands/validate.js';
export type { ProgressRead } from './failover-inputs.js';
