/**
 * How a retried cut's outcome came about: `waiting → retry 1 → updated`, a retry whose update the
 * device refused marked `(failed)`, a retry the rig failed ending in `rig-error`, and a boot-loop
 * check that changed the last retry's outcome after it. Undefined for a cut without retries.
 */
export function retryChain(r: { outcome: string; firstOutcome?: string; retries?: readonly { attempt: number; outcome: string; error?: string }[] }): string | undefined {
  if (r.firstOutcome === undefined) return undefined;
  const retries = r.retries ?? [];
  const steps: string[] = [r.firstOutcome];
  for (const x of retries) steps.push(`retry ${x.attempt}${x.error !== undefined ? ' (failed)' : ''}`, x.outcome);
  if (r.outcome === 'rig-error') steps.push(`retry ${retries.length + 1}`, 'rig-error');
  else if (steps.at(-1) !== r.outcome) steps.push(r.outcome);
  return steps.join(' → ');
}
