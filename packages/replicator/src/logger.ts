/** Structured logging: one JSON object per line. Fields never carry configuration values. */
export interface ReplicatorLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** JSON lines on a stream (stderr by default), with time, level and message first. */
export function jsonLogger(
  write: (line: string) => void = (line) => process.stderr.write(line),
): ReplicatorLogger {
  const emit = (level: string, message: string, fields?: Record<string, unknown>): void => {
    write(
      `${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`,
    );
  };
  return {
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
  };
}

/** A logger that drops everything (tests, embedding). */
export const silentLogger: ReplicatorLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
