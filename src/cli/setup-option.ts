import { UsageError } from '../core/errors.js';
import { schemeSetup, type SchemeAdapter } from '../schemes/registry.js';

/** `--setup`: the scheme's baseline setup (default its first); an unknown one is a usage error naming the setups. */
export function setupOption(scheme: SchemeAdapter, values: Record<string, unknown>): string {
  try {
    return schemeSetup(scheme, values.setup as string | undefined, '--setup');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
