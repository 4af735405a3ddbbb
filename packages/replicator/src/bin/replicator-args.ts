import { DEFAULT_LIVE_DOWN_BOUND_MS } from '../http-server.js';
import { MirrorKitReplicatorError } from '../replicator-error.js';

/**
 * How long SIGTERM/SIGINT waits for a graceful stop (commit, leave the groups, close clients)
 * before the process exits anyway: kafkajs disconnects retry for long against an unreachable
 * cluster, and Kubernetes' default grace period is 30 s, after which it SIGKILLs; 25 s leaves the
 * process time to say what did not stop.
 */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 25;

/** The command line of `mirrorkit-replicator`. */
export interface ReplicatorArgs {
  readonly help: boolean;
  readonly config: string | null;
  readonly httpPort: number | null;
  readonly httpHost: string;
  readonly groupPrefix: string | null;
  readonly liveDownBoundMs: number;
  readonly stopTimeoutMs: number;
}

export const USAGE = `usage: mirrorkit-replicator --config mm2.properties [options]

Replicates every enabled flow of a MirrorMaker 2 dedicated-mode mm2.properties, writing what MM2
writes. Processes started with the same file share the partitions through consumer groups.
\${env:NAME} placeholders in the file are read from the environment.

options:
  --config FILE               the mm2.properties file (required)
  --http-port PORT            serve /metrics, /healthz (= /healthz/ready) and /healthz/live
  --http-host HOST            address to listen on (default 127.0.0.1; 0.0.0.0 in a pod)
  --group-prefix PREFIX       prefix of the consumer groups (default mirrorkit-replicator)
  --live-down-seconds N       /healthz/live answers 503 once a flow is down longer (default ${DEFAULT_LIVE_DOWN_BOUND_MS / 1000})
  --stop-timeout-seconds N    on SIGTERM/SIGINT, exit non-zero after N s if the stop hangs (default ${DEFAULT_STOP_TIMEOUT_SECONDS})
  --help                      this text

exit codes: 0 stopped, 1 could not start (cluster) or the stop timed out, 2 bad arguments or config
`;

const VALUED = new Set([
  '--config',
  '--http-port',
  '--http-host',
  '--group-prefix',
  '--live-down-seconds',
  '--stop-timeout-seconds',
]);

const bad = (message: string): MirrorKitReplicatorError =>
  new MirrorKitReplicatorError('REPLICATOR_BAD_ARGUMENT', message);

function seconds(name: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw bad(`${name} takes a positive number of seconds`);
  return n * 1000;
}

/**
 * Parses the arguments after `node script`. Throws {@link MirrorKitReplicatorError}
 * `REPLICATOR_BAD_ARGUMENT` naming the flag; values are not echoed (a mistyped flag may carry one).
 */
export function parseReplicatorArgs(argv: readonly string[]): ReplicatorArgs {
  const values = new Map<string, string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    if (flag === '--help' || flag === '-h') {
      help = true;
      continue;
    }
    if (!VALUED.has(flag)) throw bad(`unknown argument at position ${i + 1}; see --help`);
    const value = argv[i + 1];
    if (value === undefined || VALUED.has(value)) throw bad(`${flag} needs a value`);
    values.set(flag, value);
    i++;
  }
  const port = values.get('--http-port');
  let httpPort: number | null = null;
  if (port !== undefined) {
    httpPort = Number(port);
    if (!Number.isInteger(httpPort) || httpPort < 0 || httpPort > 65_535)
      throw bad('--http-port takes a port number (0 to 65535)');
  }
  const live = values.get('--live-down-seconds');
  const stop = values.get('--stop-timeout-seconds');
  const args: ReplicatorArgs = {
    help,
    config: values.get('--config') ?? null,
    httpPort,
    httpHost: values.get('--http-host') ?? '127.0.0.1',
    groupPrefix: values.get('--group-prefix') ?? null,
    liveDownBoundMs: live === undefined ? DEFAULT_LIVE_DOWN_BOUND_MS : seconds('--live-down-seconds', live),
    stopTimeoutMs:
      stop === undefined ? DEFAULT_STOP_TIMEOUT_SECONDS * 1000 : seconds('--stop-timeout-seconds', stop),
  };
  if (!args.help && args.config === null) throw bad('--config is required');
  return args;
}
