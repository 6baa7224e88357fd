import type { RigConfig } from '../config/index.js';
import type { Power } from '../drivers/capabilities.js';

/** Power as the rig file's `power.safeState` says: where every exit leaves the rig. */
export async function toSafeState(config: RigConfig, power: Power): Promise<void> {
  if (config.power.safeState === 'off') await power.off();
  else await power.on();
}
