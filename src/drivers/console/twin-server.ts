import type { TwinDevice } from '../../twin/device.js';
import { startPtyTwin, type PtyTwinOptions } from '../../twin/transport/pty.js';
import type { Timer } from '../../core/clock.js';
import { HostFrameReader } from '../../protocols/sfu/index.js';

/** With resetOnIdle: how long the app must have been silent before the twin resets into its bootloader. */
export const DEFAULT_IDLE_MS = 1000;

export interface TwinServerOptions {
  paceBaud: number;
  /** Reset into the bootloader whenever the app has said nothing for idleMs (see startTwinServer). */
  resetOnIdle: boolean;
  idleMs?: number;
  /** Where socat makes its links (default: a fresh temporary directory). */
  dir?: string;
  onWire?: PtyTwinOptions['onWire'];
}

export interface TwinServer {
  hostPath: string;
  socatPid: number;
  /** 'none' when setpriv is missing: socat would outlive a SIGKILL of this process. */
  lifeline: 'pdeathsig' | 'none';
  onDeviceText(l: (line: string) => void): void;
  /** Called once if socat dies while serving: the printed path is gone. */
  onLost(l: (why: string) => void): void;
  close(): Promise<void>;
}

/**
 * A twin on a pty for any SFU host (`hil twin serve`).
 *
 * resetOnIdle makes a bootloader window reachable at any moment: once the app has run for idleMs
 * without sending a byte, the twin resets into its bootloader. Only the app's own output counts
 * as activity, never what the host sends: a host polling INFO every 250 ms at an app that ignores
 * it (the SFU sample app ignores everything) must not keep the app running forever, which is what
 * made `hil sfu upload` against `--reset-on-idle` fail whenever it started while the app ran. An
 * app that does answer the host keeps itself awake by answering. So a host that starts at any
 * moment finds a bootloader window within about idleMs + the boot time.
 */
export async function startTwinServer(device: TwinDevice, opts: TwinServerOptions): Promise<TwinServer> {
  const idleMs = opts.idleMs ?? DEFAULT_IDLE_MS;
  if (!(idleMs > 0)) throw new RangeError(`startTwinServer: idleMs must be > 0, got ${idleMs}`);
  let lastTx = device.clock.now();
  let appRunning = false;
  let idleTimer: Timer | undefined;
  const armIdle = (ms: number): void => {
    idleTimer?.cancel();
    idleTimer = device.clock.setTimer(ms, () => {
      idleTimer = undefined;
      if (!appRunning) return;
      const silentFor = device.clock.now() - lastTx;
      if (silentFor < idleMs) return armIdle(idleMs - silentFor);
      device.powerOff();
      device.powerOn();
    });
  };
  const offEvents = device.onEvent((e) => {
    if (e.kind === 'boot') appRunning = e.image === 'app';
    else if (e.kind === 'power' && !e.on) appRunning = false;
    else return;
    idleTimer?.cancel();
    idleTimer = undefined;
    if (!opts.resetOnIdle || !appRunning) return;
    // The app's run starts its silence count: bootloader chatter before it does not count.
    lastTx = device.clock.now();
    armIdle(idleMs);
  });
  const textListeners: ((line: string) => void)[] = [];
  let partial = '';
  // SFU frames share the UART with the text: only the text is shown (as a host would read it).
  const reader = new HostFrameReader();
  const offTx = device.onUartTx((b) => {
    lastTx = device.clock.now();
    if (!textListeners.length) return;
    const text = reader
      .push(b)
      .map((e) => (e.type === 'text' ? e.text : ''))
      .join('');
    const parts = (partial + text.replace(/[^\x20-\x7e\n\t]/g, '')).split('\n');
    partial = parts.pop()!;
    for (const p of parts) if (p.trim()) textListeners.forEach((l) => l(p));
  });
  let pty;
  try {
    pty = await startPtyTwin(device, { paceBaud: opts.paceBaud, ...(opts.dir !== undefined && { dir: opts.dir }), ...(opts.onWire && { onWire: opts.onWire }) });
  } catch (err) {
    offEvents();
    offTx();
    throw err;
  }
  device.powerOn();
  return {
    hostPath: pty.hostPath,
    socatPid: pty.socatPid,
    lifeline: pty.lifeline,
    onDeviceText: (l) => textListeners.push(l),
    onLost: (l) => pty.onLost(l),
    async close() {
      idleTimer?.cancel();
      offEvents();
      offTx();
      device.powerOff();
      await pty.close();
    },
  };
}
