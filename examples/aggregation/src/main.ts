#!/usr/bin/env node
// The aggregation example as a program: exit 0 when every check passed, 1 when one failed,
// 2 when it could not run, 130 when interrupted (after stopping everything it started).
import { runExampleProgram } from '@mirrorkit/example-support';
import { formatAggregation, runAggregation } from './aggregation.js';

await runExampleProgram({
  run: runAggregation,
  format: formatAggregation,
  stops: 'the clients, MirrorMaker 2 and all four clusters',
});
