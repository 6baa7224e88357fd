/**
 * A programmable bench supply as rig power: `power: {driver: supply, protocol, port, baud,
 * channel, volts, amps, sag?}`. openSupply() validates everything before the port is opened, so a
 * bad value in a rig file never reaches the supply, then identifies it (a silent port is the
 * usual wrong-port/wrong-protocol mistake) and sets the current limit and nominal voltage.
 */
import { ScaledClock, type Clock } from '../../../core/clock.js';
import { RigError } from '../../../core/errors.js';
import type { Timeline } from '../../../core/timeline.js';
import { openSerialLink } from '../../console/serial-link.js';
import { Exchange, type Framing, type SupplyTurn } from './exchange.js';
import { checkKoradChannel, KoradProtocol } from './korad.js';
import { requireLevel, type SupplyProtocol } from './protocol.js';
import { checkScpiChannel, ScpiProtocol } from './scpi.js';
import { checkSupplyLevels, SupplyPower } from './supply-power.js';

export { Exchange, NoReplyError, quoteBytes, type SupplyTurn } from './exchange.js';
export { KoradProtocol } from './korad.js';
export type { SupplyProtocol } from './protocol.js';
export { ScpiProtocol } from './scpi.js';
export { SupplyPower, SUPPLY_DEFAULTS, type SagProfile, type SagResult, type SagStep, type SupplyPowerOptions } from './supply-power.js';

export interface OpenSupplyOptions {
  protocol: 'korad' | 'scpi';
  /** Prefer /dev/serial/by-id/…: a Korad is a CDC-ACM /dev/ttyACM* beside the DUTs' own. */
  port: string;
  /** Default 9600 (fixed on a Korad; the usual RS-232 default on SCPI supplies). */
  baud?: number;
  /** Korad: the digit in VSET<n> (default 1). SCPI: selected with INST:NSEL (default: none sent). */
  channel?: number;
  volts: number;
  amps: number;
  maxVolts?: number;
  minOffMs?: number;
  verifyOutput?: boolean;
  /** Minimum time between commands. Default 50 ms on a Korad, 10 ms on SCPI. */
  gapMs?: number;
  /** How long a query waits for its reply. Default 500 ms (several times a Korad's 50–100+ ms latency). */
  replyTimeoutMs?: number;
  /** Told about every command turn, on the driver's clock. */
  trace?: (turn: SupplyTurn) => void;
  clock?: Clock;
  timeline?: Timeline;
  log?: (msg: string) => void;
}

const PROTOCOL_DEFAULTS = {
  // 50 ms of quiet ends a Korad reply: at 9600 baud its bytes come ~1 ms apart.
  korad: { gapMs: 50, framing: { kind: 'quiet', quietMs: 50 } as Framing },
  scpi: { gapMs: 10, framing: { kind: 'line' } as Framing },
} as const;

/** Opens, identifies and configures a supply; the returned SupplyPower owns the port (close()). */
export async function openSupply(opts: OpenSupplyOptions): Promise<SupplyPower> {
  const defaults = PROTOCOL_DEFAULTS[opts?.protocol];
  if (!defaults) throw new RigError(`supply: protocol must be "korad" or "scpi", got ${JSON.stringify(opts?.protocol)}`);
  if (typeof opts.port !== 'string' || opts.port === '') throw new RigError('supply: port is empty');
  const baud = opts.baud ?? 9600;
  if (!Number.isInteger(baud) || baud <= 0) throw new RigError(`supply: baud must be a positive integer, got ${String(baud)}`);
  const gapMs = requireLevel('supply', 'gapMs', opts.gapMs ?? defaults.gapMs);
  const replyTimeoutMs = requireLevel('supply', 'replyTimeoutMs', opts.replyTimeoutMs ?? 500);
  const clock = opts.clock ?? new ScaledClock(1);
  // Everything is validated before the port opens: a bad value sends nothing.
  checkSupplyLevels(opts);
  const channel = opts.protocol === 'korad' ? checkKoradChannel(opts.channel ?? 1) : checkScpiChannel(opts.channel);
  const link = await openSerialLink(opts.port, { baud });
  const exchange = new Exchange({ link, port: opts.port, clock, framing: defaults.framing, gapMs, replyTimeoutMs, trace: opts.trace });
  const protocol: SupplyProtocol = opts.protocol === 'korad' ? new KoradProtocol(exchange, channel) : new ScpiProtocol(exchange, channel);
  const power = new SupplyPower({ ...opts, protocol, clock });
  try {
    await power.init();
  } catch (err) {
    await power.close();
    throw err;
  }
  return power;
}
