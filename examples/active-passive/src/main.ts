#!/usr/bin/env node
// The active-passive example as a program: exit 0 when every check passed, 1 when one failed,
// 2 when it could not run, 130 when interrupted (after stopping everything it started).
import { runExampleProgram } from '@mirrorkit/example-support';
import { formatActivePassive, runActivePassive } from './active-passive.js';

await runExampleProgram({
  run: runActivePassive,
  format: formatActivePassive,
  stops: 'the clients, MirrorMaker 2 and both clusters',
});
