/** Writing a workload in rounds, as the examples' producers do. */
import { checkAborted } from './waits.js';

/**
 * Splits the indices `0 … total - 1` into `rounds` consecutive batches of `ceil(total / rounds)`
 * (the last ones shorter, or empty) and awaits `round` on each batch in turn, so every producer of
 * an example can write its share of a round at the same time as the others.
 *
 * @throws `ExampleAborted` before a round, once `signal` has aborted.
 */
export async function inRounds(
  total: number,
  rounds: number,
  signal: AbortSignal | undefined,
  round: (indices: number[]) => Promise<unknown>,
): Promise<void> {
  const perRound = Math.ceil(total / rounds);
  for (let r = 0; r < rounds; r++) {
    checkAborted(signal);
    const first = r * perRound;
    await round(Array.from({ length: Math.min(perRound, total - first) }, (_, k) => first + k));
  }
}
