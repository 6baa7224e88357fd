/**
 * The stable-app rule in force for a rig (`boot.stable`), apart from the schema so that a sweep
 * worker can read it without loading zod.
 */

/** Until the app is stable it leaves the boot counter alone: a delay by default (no `boot.stable:`). */
export const DEFAULT_STABLE_MS = 500;

export type StableRule = { afterMs: number; command?: undefined } | { command: string; afterMs?: undefined };

/** `boot.stable` as written (the schema made it one of the two), else the default delay. */
export function stableRule(boot: { stable?: { afterMs?: number | undefined; command?: string | undefined } | undefined }): StableRule {
  const rule = boot.stable;
  if (rule?.command !== undefined) return { command: rule.command };
  return { afterMs: rule?.afterMs ?? DEFAULT_STABLE_MS };
}
