import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runJvmTool } from './jvm-process.js';
import type { KafkaRuntime } from './kafka-runtime.js';

/** A SCRAM-SHA-512 user created on a testkit cluster. */
export interface ScramUser {
  readonly mechanism: 'scram-sha-512';
  readonly username: string;
  /** A random test password; tests use it to prove it never shows up in output. */
  readonly password: string;
}

/** A fresh user name and random password. */
export function newScramUser(username = 'mirrorkit'): ScramUser {
  return { mechanism: 'scram-sha-512', username, password: `pw-${randomBytes(16).toString('hex')}` };
}

/**
 * Creates the user through the broker (AlterUserScramCredentials, sent by Kafka's ConfigCommand over
 * the internal PLAINTEXT listener). The password goes in a file, not on the command line, so it shows
 * neither in `ps` nor in the tool's log.
 */
export async function createScramUser(options: {
  runtime: KafkaRuntime;
  internalBootstrap: string;
  user: ScramUser;
  dir: string;
}): Promise<void> {
  const configFile = join(options.dir, 'scram-user.properties');
  writeFileSync(configFile, `SCRAM-SHA-512=iterations=4096,password=${options.user.password}\n`, {
    mode: 0o600,
  });
  try {
    await runJvmTool({
      runtime: options.runtime,
      mainClass: 'kafka.admin.ConfigCommand',
      args: [
        '--bootstrap-server',
        options.internalBootstrap,
        '--alter',
        '--entity-type',
        'users',
        '--entity-name',
        options.user.username,
        '--add-config-file',
        configFile,
      ],
      logFile: join(options.dir, 'scram-users.log'),
      what: `creating SCRAM user ${options.user.username}`,
    });
  } finally {
    rmSync(configFile, { force: true });
  }
}
