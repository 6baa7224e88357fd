import { startPtyTwin } from '../../twin/transport/pty.js';
import { openTwinLinkInProcess, type TwinLinkOpener } from './twin-in-process.js';
import { openSerialLink } from './serial-link.js';

/**
 * The console link to a twin: in-process (virtual time, fastest), or a real pty pair through
 * socat with serialport on the host end, exactly as a USB-serial adapter on a Pi.
 */
export const openTwinLink: TwinLinkOpener = async (device, opts) => {
  if (opts.transport === 'in-process') return openTwinLinkInProcess(device, opts);
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
};
