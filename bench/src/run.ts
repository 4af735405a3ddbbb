// `pnpm bench [core|compression|failover|active-active|replicator|all]`: prints figures; never asserts
// timings. `compression` alone: the codecs' cost per record, in process.
import { runActiveActive } from './active-active.js';
import { runCodecCost } from './codec-cost.js';
import { runCoreCodecs } from './core-codecs.js';
import { runFailover } from './failover.js';
import { runReplicator } from './replicator.js';

const which = process.argv[2] ?? 'all';
if (which === 'core' || which === 'all') runCoreCodecs();
if (which === 'compression') await runCodecCost();
if (which === 'active-active' || which === 'all') await runActiveActive();
if (which === 'replicator' || which === 'all') await runReplicator();
if (which === 'failover' || which === 'all') await runFailover(Number(process.env.BENCH_RUNS ?? 3));
process.exit(0);
