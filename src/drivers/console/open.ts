/**
 * The console link a rig file asks for: a serial port (by-id path, reopened when the USB adapter
 * re-enumerates) or ser2net over TCP (reconnected when the socket drops).
 */
import { ScaledClock, type Clock } from '../../core/clock.js';
import { openReconnectingLink, type ReconnectingLink } from './reconnecting-link.js';
import { openSerialLink } from './serial-link.js';
import { openTcpLink } from './tcp-link.js';

export type LineEnding = 'lf' | 'crlf' | 'cr';

/** The console section of a real rig, as far as opening its link goes. */
export type ConsoleLinkConfig =
  { driver: 'serial'; port: string; baud: number; lineEnding?: LineEnding; reconnectMs?: number } | { driver: 'tcp'; host: string; port: number; lineEnding?: LineEnding; reconnectMs?: number };

/** What Enter sends for each line ending. */
export function lineEndingBytes(e: LineEnding = 'lf'): Buffer {
  switch (e) {
    case 'lf':
      return Buffer.from('\n');
    case 'crlf':
      return Buffer.from('\r\n');
    case 'cr':
      return Buffer.from('\r');
    default:
      throw new TypeError(`lineEndingBytes: unknown line ending ${JSON.stringify(e)} (lf, crlf or cr)`);
  }
}

/**
 * Opens the link; the first open fails at once (exit 3: no port, refused), later losses become
 * gaps of up to `reconnectMs` (see ReconnectingLink).
 */
export function openConsoleLink(config: ConsoleLinkConfig, opts: { clock?: Clock } = {}): Promise<ReconnectingLink> {
  const clock = opts.clock ?? new ScaledClock(1);
  const reconnect = config.reconnectMs !== undefined ? { reconnectMs: config.reconnectMs } : {};
  switch (config.driver) {
    case 'serial': {
      const { port, baud } = config;
      return openReconnectingLink({ what: `serial ${port}`, clock, ...reconnect, open: () => openSerialLink(port, { baud, clock }) });
    }
    case 'tcp': {
      const { host, port } = config;
      return openReconnectingLink({ what: `ser2net ${host}:${port}`, clock, ...reconnect, open: () => openTcpLink(host, port) });
    }
    default:
      throw new TypeError(`openConsoleLink: unknown console driver ${JSON.stringify((config as { driver: unknown }).driver)}`);
  }
}
