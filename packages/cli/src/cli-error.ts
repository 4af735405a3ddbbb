import { MirrorKitError } from '@mirrorkit/core';

/**
 * Exit codes of the `mirrorkit` command, the same for every subcommand, so scripts can branch on
 * them without parsing output.
 */
export const EXIT = {
  /** Done; a check passed. */
  OK: 0,
  /** A check failed (validate FAIL, drill skipped records) or a runbook step refused to act. */
  FAILED: 1,
  /** Bad usage or input: unknown command or flag, missing or invalid config, unknown alias or group. */
  USAGE: 2,
  /** A cluster could not be reached or answered with an error. */
  UNREACHABLE: 3,
  /** A check passed with warnings (validate WARN, stale heartbeats or checkpoints). */
  WARN: 4,
} as const;

/** One of {@link EXIT}'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Stable codes of the errors the CLI reports. */
export type CliErrorCode =
  | 'CLI_USAGE'
  | 'CLI_CONFIG'
  | 'CLI_UNKNOWN_ALIAS'
  | 'CLI_UNKNOWN_GROUP'
  | 'CLI_NO_CHECKPOINTS'
  | 'CLI_UNREACHABLE'
  | 'CLI_REFUSED'
  | 'CLI_VERIFY_FAILED'
  | 'CLI_TIMEOUT';

const EXIT_OF: Record<CliErrorCode, ExitCode> = {
  CLI_USAGE: EXIT.USAGE,
  CLI_CONFIG: EXIT.USAGE,
  CLI_UNKNOWN_ALIAS: EXIT.USAGE,
  CLI_UNKNOWN_GROUP: EXIT.USAGE,
  CLI_NO_CHECKPOINTS: EXIT.FAILED,
  CLI_UNREACHABLE: EXIT.UNREACHABLE,
  CLI_REFUSED: EXIT.FAILED,
  CLI_VERIFY_FAILED: EXIT.FAILED,
  CLI_TIMEOUT: EXIT.FAILED,
};

/** An error the CLI reports as one line, with the exit code its {@link CliErrorCode} maps to. */
export class MirrorKitCliError extends MirrorKitError {
  declare readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }

  /** The process exit code for this error. */
  get exitCode(): ExitCode {
    return EXIT_OF[this.code];
  }
}
