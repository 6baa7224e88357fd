import { ConfigError } from '../../core/errors.js';
import type { SchemeAdapter } from './scheme.js';
import { sfuAbScheme } from './sfu-ab.js';
import { stm32DualBankScheme } from './stm32-dualbank.js';
import { mcubootSwapScheme } from './mcuboot-swap.js';

const SCHEMES: Record<string, SchemeAdapter> = {
  'sfu-ab': sfuAbScheme,
  'stm32-dualbank': stm32DualBankScheme,
  'mcuboot-swap': mcubootSwapScheme,
};

export function schemeAdapter(scheme: string): SchemeAdapter {
  const s = SCHEMES[scheme];
  if (!s) throw new ConfigError(`scheme ${scheme} is not supported by this build yet (supported: ${Object.keys(SCHEMES).join(', ')})`);
  return s;
}

/** The suite's `setup:` for this scheme, defaulted and checked. */
export function schemeSetup(adapter: SchemeAdapter, setup: string | undefined, where: string): string {
  if (setup === undefined) return adapter.setups[0]!;
  if (!adapter.setups.includes(setup)) throw new ConfigError(`${where}: setup ${JSON.stringify(setup)} does not exist for ${adapter.scheme} (setups: ${adapter.setups.join(', ')})`);
  return setup;
}
export type { SchemeAdapter, FlashView, BaselineImages } from './scheme.js';
