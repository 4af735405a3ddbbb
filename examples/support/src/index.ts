/**
 * @packageDocumentation
 * `@mirrorkit/example-support`: what the runnable examples in `examples/` share around their
 * stories, so that each example's own file holds only what it demonstrates.
 *
 * - {@link runExampleProgram}: the examples' `main` (summary, exit codes 0/1/2/130, SIGINT/SIGTERM);
 * - {@link Teardown} and {@link ExampleAborted}: releasing everything, also on Ctrl-C;
 * - {@link sleep}, {@link until}, {@link checkAborted}: waits that give up on abort;
 * - {@link inRounds}: writing a workload in rounds;
 * - {@link startLocalClusters}, {@link startLocalMirrorMaker}, {@link localKafka},
 *   {@link createTopic}: the local clusters and MirrorMaker 2 an example runs on;
 * - {@link progressLog}, {@link count}, {@link duration}, {@link formatVerdict}: the output format;
 * - {@link Check}, {@link ExampleResult}: what every run returns.
 */
export { createTopic, localKafka, startLocalClusters, startLocalMirrorMaker } from './local-kafka.js';
export { type ExampleProgram, runExampleProgram } from './program.js';
export { count, duration, formatVerdict, progressLog } from './report-format.js';
export type { Check, ExampleResult } from './result.js';
export { inRounds } from './rounds.js';
export { ExampleAborted, Teardown } from './shutdown.js';
export { checkAborted, sleep, until } from './waits.js';
