/** At the first WRITE and at every ack: elapsed ms, stream bytes acknowledged, and stream bytes handed to the transport. */
export interface RateSample {
  t: number;
  acked: number;
  sent: number;
}

/**
 * Payload bytes per second the upload sustained on the line: bytes acknowledged over the time
 * they demonstrably took, never a fit (a least-squares fit over bunched acks reported 2.95x the
 * line rate through a pty: issue 8 defect 14).
 *
 * For two moments t_i < t_j (the first WRITE, then every ack), the bytes handed to the transport
 * after t_i and acknowledged by t_j crossed the line inside [t_i, t_j], whatever the delays of
 * frames and acks and whatever the device had buffered: their count over t_j - t_i cannot
 * outrun the line. Every such pair is a valid lower bound, so the best one is too; it is the
 * steady write phase (spans that include the erase or a stall score lower). Pairs must carry at
 * least `minBytes` (8 WRITEs of bytes, or the whole stream), so one frame's timing does not make the figure.
 */
export function steadyRate(samples: readonly RateSample[], minBytes: number): number {
  let best = 0;
  for (let j = 1; j < samples.length; j++) {
    const end = samples[j]!;
    for (let i = 0; i < j; i++) {
      const start = samples[i]!;
      const counted = end.acked - start.sent;
      if (counted < minBytes) break; // later starts have sent more: fewer bytes still
      if (end.t > start.t) best = Math.max(best, counted / ((end.t - start.t) / 1000));
    }
  }
  return best;
}
