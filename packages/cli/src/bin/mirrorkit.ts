#!/usr/bin/env node
// `mirrorkit`: the disaster-recovery runbook as commands. All logic lives in cli-main.ts.
// Registers zstd, lz4 and snappy with kafkajs (it ships gzip only) for every client in the process.
import '@mirrorkit/core';
import { runCli } from '../cli-main.js';

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
// Let stdout drain before exiting: a piped --json result must arrive whole.
process.stdout.write('', () => process.exit(code));
