// `pnpm bench [core|failover|active-active|all]`: prints figures; never asserts timings.
import { runActiveActive } from './active-active.js';
import { runCoreCodecs } from './core-codecs.js';
import { runFailover } from './failover.js';

const which = process.argv[2] ?? 'all';
if (which === 'core' || which === 'all') runCoreCodecs();
if (which === 'active-active' || which === 'all') await runActiveActive();
if (which === 'failover' || which === 'all') await runFailover(Number(process.env.BENCH_RUNS ?? 3));
process.exit(0);
