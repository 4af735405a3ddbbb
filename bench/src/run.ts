// `pnpm bench [core|failover|all]`: prints figures; never asserts timings.
import { runCoreCodecs } from './core-codecs.js';
import { runFailover } from './failover.js';

const which = process.argv[2] ?? 'all';
if (which === 'core' || which === 'all') runCoreCodecs();
if (which === 'failover' || which === 'all') await runFailover(Number(process.env.BENCH_RUNS ?? 3));
process.exit(0);
