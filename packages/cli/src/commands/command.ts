import type { FlagSpec, FlagValues } from '../cli-args.js';
import type { CliConfig } from '../cli-config.js';
import type { ExitCode } from '../cli-error.js';
import type { CliOutput } from '../cli-output.js';

/** What a command gets to run with. */
export interface CommandContext {
  readonly output: CliOutput;
  readonly flags: FlagValues;
  /** Loads the config named by --config or $MIRRORKIT_CONFIG (throws CLI_CONFIG). */
  loadConfig(): CliConfig;
  /** Timeout of one cluster call (--timeout-ms, default 10 s). */
  readonly timeoutMs: number;
  /** The environment of the run: `MIRRORKIT_CONFIG`, and values for `${env:NAME}`. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** One `mirrorkit` subcommand. */
export interface Command {
  /** One word, or two for a command of a group (`config check`). */
  readonly name: string;
  readonly summary: string;
  readonly flags: FlagSpec;
  run(context: CommandContext): Promise<ExitCode>;
}
