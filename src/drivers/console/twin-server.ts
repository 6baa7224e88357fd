import type { TwinDevice } from '../../twin/device.js';
import { startPtyTwin } from '../../twin/transport/pty.js';
import type { Timer } from '../../core/clock.js';

/**
 * A twin on a pty for any SFU host (`hil twin serve`). With resetOnIdle, once the app has run
 * for a second with the host quiet, the twin resets into its bootloader, so a host started at
 * any moment finds an open bootloader window within about three seconds.
 */
export async function startTwinServer(
  device: TwinDevice,
  opts: { paceBaud: number; resetOnIdle: boolean; idleMs?: number },
): Promise<{ hostPath: string; onDeviceText(l: (line: string) => void): void; close(): Promise<void> }> {
  let lastRx = device.clock.now();
  let idleTimer: Timer | undefined;
  const idleMs = opts.idleMs ?? 1000;
  // Watch what the host sends without changing what the device gets.
  const watched: TwinDevice = Object.create(device, {
    uartRx: {
      value: (bytes: Buffer) => {
        lastRx = device.clock.now();
        device.uartRx(bytes);
      },
    },
  });
  const armIdle = () => {
    idleTimer?.cancel();
    idleTimer = device.clock.setTimer(idleMs, () => {
      if (device.clock.now() - lastRx < idleMs) return armIdle();
      device.powerOff();
      device.powerOn();
    });
  };
  const offEvents = device.onEvent((e) => {
    if (e.kind === 'boot' && e.image === 'app' && opts.resetOnIdle) armIdle();
    if (e.kind === 'boot' && e.image === 'bootloader') idleTimer?.cancel();
  });
  const textListeners: ((line: string) => void)[] = [];
  let partial = '';
  const offTx = device.onUartTx((b) => {
    if (!textListeners.length) return;
    const parts = (partial + b.toString('latin1').replace(/[^\x20-\x7e\n\t]/g, '')).split('\n');
    partial = parts.pop()!;
    for (const p of parts) if (p.trim()) textListeners.forEach((l) => l(p));
  });
  const pty = await startPtyTwin(watched, { paceBaud: opts.paceBaud });
  device.powerOn();
  return {
    hostPath: pty.hostPath,
    onDeviceText: (l) => textListeners.push(l),
    async close() {
      idleTimer?.cancel();
      offEvents();
      offTx();
      device.powerOff();
      await pty.close();
    },
  };
}
