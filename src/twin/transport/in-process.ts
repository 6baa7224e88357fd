import { Listeners, type ByteLink } from '../../core/byte-link.js';
import type { TwinDevice } from '../device.js';
import { PacedLine } from './paced-line.js';

/**
 * The twin's UART wired straight to the host in the same process, paced at `baud` on the
 * device's clock. With a virtual clock this is the fast path every sweep runs on.
 */
export function connectInProcess(device: TwinDevice, opts: { baud: number }): ByteLink {
  const data = new Listeners<Buffer>();
  const closed = new Listeners<Error | undefined>();
  let open = true;
  const toDevice = new PacedLine(device.clock, opts.baud, (b) => device.uartRx(b));
  const toHost = new PacedLine(device.clock, opts.baud, (b) => open && data.emit(b));
  const off = device.onUartTx((b) => toHost.send(b));
  return {
    description: `twin ${device.target}/${device.scheme} (in-process, ${opts.baud} baud)`,
    async write(bytes) {
      if (!open) throw new Error('twin link is closed');
      toDevice.send(Buffer.from(bytes));
    },
    onData: (l) => data.add(l),
    onClose: (l) => closed.add(l),
    async close() {
      if (!open) return;
      open = false;
      off();
      closed.emit(undefined);
    },
  };
}
