import { describe, expect, it } from 'vitest';
import { commandHelp, parseFlags } from './cli-args.js';
import { MirrorKitCliError } from './cli-error.js';

const SPEC = {
  group: { kind: 'string', help: 'group', required: true },
  'dry-run': { kind: 'boolean', help: 'no commit' },
  records: { kind: 'number', help: 'count' },
} as const;

function usageError(fn: () => unknown): MirrorKitCliError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MirrorKitCliError);
    expect((error as MirrorKitCliError).code).toBe('CLI_USAGE');
    expect((error as MirrorKitCliError).exitCode).toBe(2);
    return error as MirrorKitCliError;
  }
  throw new Error('expected a usage error');
}

describe('parseFlags', () => {
  it('reads --name value, --name=value, booleans and numbers', () => {
    expect(parseFlags('x', ['--group', 'billing', '--dry-run', '--records=12', '--json'], SPEC)).toEqual({
      group: 'billing',
      'dry-run': true,
      records: 12,
      json: true,
    });
    expect(parseFlags('x', ['--group=a=b', '--dry-run=false'], SPEC)).toEqual({
      group: 'a=b',
      'dry-run': false,
    });
  });

  it('names the flag in every usage error', () => {
    expect(usageError(() => parseFlags('x', ['--grup', 'a'], SPEC)).message).toContain('--grup');
    expect(usageError(() => parseFlags('x', ['--group'], SPEC)).message).toContain('--group needs a value');
    expect(usageError(() => parseFlags('x', ['--group', '--dry-run'], SPEC)).message).toContain(
      '--group needs a value',
    );
    expect(usageError(() => parseFlags('x', ['--group', 'a', '--records', 'ten'], SPEC)).message).toContain(
      '--records must be a number, got "ten"',
    );
    expect(usageError(() => parseFlags('x', ['--dry-run'], SPEC)).message).toContain('--group is required');
    expect(usageError(() => parseFlags('x', ['billing'], SPEC)).message).toContain(
      'unexpected argument "billing"',
    );
    expect(usageError(() => parseFlags('x', ['--group', 'a', '--dry-run=maybe'], SPEC)).message).toContain(
      'true or false',
    );
  });

  it('does not demand required flags for --help, and lists every flag in the help', () => {
    expect(parseFlags('x', ['--help'], SPEC)).toEqual({ help: true });
    const help = commandHelp('x', 'Does x.', SPEC);
    for (const flag of ['--group <value>', '--dry-run', '--records <n>', '--config <value>', '--json'])
      expect(help).toContain(flag);
    expect(help).toContain('(required)');
  });
});
