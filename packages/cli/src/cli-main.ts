import { formatNote, MirrorKitError } from '@mirrorkit/core';
import { commandHelp, numberFlag, parseFlags } from './cli-args.js';
import { loadCliConfig, parseClustersFlag } from './cli-config.js';
import { EXIT, type ExitCode, MirrorKitCliError } from './cli-error.js';
import { cliOutput } from './cli-output.js';
import type { Command } from './commands/command.js';
import { configCheckCommand } from './commands/config-check.js';
import { drillCommand } from './commands/drill.js';
import { failbackCommand, failoverCommand } from './commands/failover.js';
import { statusCommand } from './commands/status.js';
import { translateCommand } from './commands/translate.js';
import { validateCommand } from './commands/validate.js';

/** Every subcommand, in the order of the runbook. */
export const COMMANDS: readonly Command[] = [
  statusCommand,
  translateCommand,
  failoverCommand,
  failbackCommand,
  validateCommand,
  drillCommand,
  configCheckCommand,
];

const EXIT_CODES_HELP = `Exit codes:
  0  done; the check passed
  1  a check failed, or a runbook step refused to act (it says why)
  2  bad usage or input: unknown flag, missing or invalid config, unknown alias or group
  3  a cluster could not be reached
  4  passed with warnings (stale heartbeats or checkpoints, growing lag)`;

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: mirrorkit <command> --config <file> [flags]',
    '',
    'The disaster-recovery runbook for Kafka clusters replicated by MirrorMaker 2 or the MirrorKit sidecar.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `mirrorkit <command> --help` for its flags.',
    '',
    EXIT_CODES_HELP,
  ].join('\n');
}

/** The streams and environment one run of the CLI uses (the process's, or a test's). */
export interface CliIo {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * Runs `mirrorkit <argv>` and returns its exit code. Errors are one line on stderr (`mirrorkit
 * <command>: <message>`), with the stack only under --verbose; with --json, an error is also a JSON
 * object `{ "error": { "code", "message" } }` on stdout so scripts always get JSON.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const [first, ...others] = argv;
  if (first === undefined || first === '--help' || first === 'help' || first === '-h') {
    (first === undefined ? io.stderr : io.stdout).write(`${usage()}\n`);
    return first === undefined ? EXIT.USAGE : EXIT.OK;
  }
  // A command of a group is named by two words (`config check`).
  const grouped = COMMANDS.find((c) => c.name === `${first} ${others[0]}`);
  const name = grouped ? grouped.name : first;
  const rest = grouped ? others.slice(1) : others;
  const command = grouped ?? COMMANDS.find((c) => c.name === name);
  const json = rest.includes('--json');
  const verbose = rest.includes('--verbose');
  try {
    if (!command) {
      const group = COMMANDS.filter((c) => c.name.startsWith(`${name} `)).map((c) => c.name);
      throw new MirrorKitCliError(
        'CLI_USAGE',
        group.length > 0
          ? `"${name}" needs a subcommand (${group.join(', ')})`
          : `unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})`,
      );
    }
    const flags = parseFlags(command.name, rest, command.flags);
    if (flags.help === true) {
      io.stdout.write(`${commandHelp(command.name, command.summary, command.flags)}\n\n${EXIT_CODES_HELP}\n`);
      return EXIT.OK;
    }
    const output = cliOutput({ json, stdout: io.stdout, stderr: io.stderr, env: io.env });
    return await command.run({
      flags,
      output,
      timeoutMs: numberFlag(flags, 'timeout-ms', 10_000),
      env: io.env,
      loadConfig: () => {
        const config = loadCliConfig(
          typeof flags.config === 'string' ? flags.config : undefined,
          io.env,
          typeof flags.clusters === 'string' ? parseClustersFlag(flags.clusters) : undefined,
        );
        // Every command says what MM2 would read differently in the file, not only `config check`.
        for (const note of config.notes ?? [])
          output.note(
            `${config.origin}: ${note.severity === 'loud' ? 'WARNING' : 'warning'}: ${formatNote(note)}`,
          );
        return config;
      },
    });
  } catch (error) {
    const prefix = command ? `mirrorkit ${command.name}` : 'mirrorkit';
    const code = error instanceof MirrorKitError ? error.code : 'CLI_INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    const exit: ExitCode =
      error instanceof MirrorKitCliError
        ? error.exitCode
        : error instanceof MirrorKitError
          ? EXIT.FAILED
          : EXIT.FAILED;
    io.stderr.write(`${prefix}: ${message.split('\n')[0]}\n`);
    if (verbose && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    if (json) io.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
    return exit;
  }
}
