/**
 * The rig's stable-app rule when it is a console command (`boot.stable: { command: ... }`): the
 * app counts itself stable, and clears the Loader's boot counter, only once the host says so. The
 * host says it each time it has seen the app's banner; without it every boot would count as one
 * more attempt and a correct device would end in its Loader's DFU mode after three plain boots.
 */
import type { Rig } from '../../rig/rig.js';
import type { BootObservation } from '../observe-boot.js';

/** The command, if the rig's stable rule is one. */
export function stableCommand(rig: Pick<Rig, 'config'>): string | undefined {
  return rig.config.boot.stable?.command;
}

/** Sends the stable command once the app's banner was seen; does nothing otherwise. */
export async function confirmStable(rig: Rig, observation: BootObservation): Promise<void> {
  const command = stableCommand(rig);
  if (!command || !observation.banner) return;
  rig.timeline.add('scenario', 'stable-command', command);
  await rig.console.write(`${command}\r\n`);
}
