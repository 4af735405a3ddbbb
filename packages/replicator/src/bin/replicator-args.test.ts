import { describe, expect, it } from 'vitest';
import { DEFAULT_LIVE_DOWN_BOUND_MS } from '../http-server.js';
import { DEFAULT_STOP_TIMEOUT_SECONDS, parseReplicatorArgs } from './replicator-args.js';

describe('parseReplicatorArgs', () => {
  it('reads every flag, with loopback and the documented bounds as defaults', () => {
    expect(parseReplicatorArgs(['--config', 'mm2.properties'])).toEqual({
      help: false,
      config: 'mm2.properties',
      httpPort: null,
      httpHost: '127.0.0.1',
      groupPrefix: null,
      liveDownBoundMs: DEFAULT_LIVE_DOWN_BOUND_MS,
      stopTimeoutMs: DEFAULT_STOP_TIMEOUT_SECONDS * 1000,
    });
    expect(
      parseReplicatorArgs([
        '--config',
        'c',
        '--http-host',
        '0.0.0.0',
        '--http-port',
        '9090',
        '--group-prefix',
        'p',
        '--live-down-seconds',
        '90',
        '--stop-timeout-seconds',
        '2.5',
      ]),
    ).toMatchObject({
      httpHost: '0.0.0.0',
      httpPort: 9090,
      groupPrefix: 'p',
      liveDownBoundMs: 90_000,
      stopTimeoutMs: 2500,
    });
    expect(parseReplicatorArgs(['--help']).help).toBe(true);
  });

  it('refuses what it cannot run with, naming the flag and never echoing a value', () => {
    const refused = (argv: string[]): string => {
      try {
        parseReplicatorArgs(argv);
      } catch (error) {
        expect((error as { code?: string }).code).toBe('REPLICATOR_BAD_ARGUMENT');
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused([])).toMatch(/--config is required/);
    expect(refused(['--config'])).toMatch(/--config needs a value/);
    expect(refused(['--config', 'c', '--http-port', 'nine'])).toMatch(/--http-port/);
    expect(refused(['--config', 'c', '--stop-timeout-seconds', '0'])).toMatch(/--stop-timeout-seconds/);
    expect(refused(['--config', 'c', '--password=hunter2'])).not.toContain('hunter2');
  });
});
