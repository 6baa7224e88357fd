import type { TwinDevice } from '../../twin/device.js';
import { connectInProcess } from '../../twin/transport/in-process.js';
import type { Clock } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import type { ByteLink } from './byte-link.js';

/** Opens the console link to a twin device (a pty through socat, or in process). */
export type TwinLinkOpener = (device: TwinDevice, opts: { transport: 'in-process' | 'pty'; paceBaud: number; baud: number; clock: Clock }) => Promise<{ link: ByteLink; close(): Promise<void> }>;

/**
 * The in-process link alone (virtual time, fastest): what a sweep worker thread opens. Kept apart
 * from twin-link.ts so that socat and serialport stay out of such a thread's start-up.
 */
export const openTwinLinkInProcess: TwinLinkOpener = async (device, opts) => {
  if (opts.transport !== 'in-process') throw new ConfigError(`twin.transport ${opts.transport}: this entry point opens in-process twins only (open the rig with openRig)`);
  const link = connectInProcess(device, { baud: opts.paceBaud });
  return { link, close: () => link.close() };
};
