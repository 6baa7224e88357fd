import type { TwinDevice } from '../../twin/device.js';
import { startPtyTwin } from '../../twin/transport/pty.js';
import { connectInProcess } from '../../twin/transport/in-process.js';
import type { Clock } from '../../core/clock.js';
import type { ByteLink } from './byte-link.js';
import { openSerialLink } from './serial-link.js';

/**
 * The console link to a twin: in-process (virtual time, fastest), or a real pty pair through
 * socat with serialport on the host end, exactly as a USB-serial adapter on a Pi.
 */
export async function openTwinLink(device: TwinDevice, opts: { transport: 'in-process' | 'pty'; paceBaud: number; baud: number; clock: Clock }): Promise<{ link: ByteLink; close(): Promise<void> }> {
  if (opts.transport === 'in-process') {
    const link = connectInProcess(device, { baud: opts.paceBaud });
    return { link, close: () => link.close() };
  }
  const pty = await startPtyTwin(device, { paceBaud: opts.paceBaud });
  try {
    const link = await openSerialLink(pty.hostPath, { baud: opts.baud, clock: opts.clock });
    return {
      link,
      async close() {
        await link.close();
        await pty.close();
      },
    };
  } catch (err) {
    await pty.close();
    throw err;
  }
}
