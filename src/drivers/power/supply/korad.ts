/**
 * Korad KA3005P and its clones (RND 320, Tenma 72-27xx, Velleman PS3005D): `VSET1:3.30`,
 * `ISET1:0.500`, `OUT1`/`OUT0`, `VOUT1?`, `STATUS?`, `*IDN?`, with no terminator either way
 * (reference §4.4; sigrok korad-kaxxxxp). Set commands get no reply at all, so the supply cannot
 * tell us it ignored one: readOutput() (STATUS? bit 6) is how on()/off() confirm the output, and
 * checkErrors() reads the set point back.
 * Resolution is 10 mV / 1 mA; values are rounded to it and the rounded value is reported.
 */
import { RigError } from '../../../core/errors.js';
import { NoReplyError, quoteBytes, type Exchange } from './exchange.js';
import { noAnswer, parseNumberReply, parseTextReply, requireLevel, type SupplyProtocol } from './protocol.js';

/** STATUS? bit 6: output enabled (sigrok korad-kaxxxxp reads it the same way). */
const STATUS_OUTPUT = 0x40;

export class KoradProtocol implements SupplyProtocol {
  readonly name = 'korad' as const;
  private lastVolts?: number;

  constructor(
    private readonly x: Exchange,
    private readonly channel = 1,
  ) {
    checkKoradChannel(channel);
  }

  get port(): string {
    return this.x.port;
  }

  async identify(): Promise<string> {
    try {
      return parseTextReply(this.port, '*IDN?', await this.x.query('*IDN?'));
    } catch (err) {
      if (err instanceof NoReplyError) throw noAnswer(this.port, err);
      throw err;
    }
  }

  async setVolts(volts: number): Promise<number> {
    const v = requireLevel('korad', 'volts', volts);
    const text = v.toFixed(2);
    await this.x.send(`VSET${this.channel}:${text}`);
    this.lastVolts = Number(text);
    return this.lastVolts;
  }

  async setAmps(amps: number): Promise<number> {
    const a = requireLevel('korad', 'amps', amps);
    const text = a.toFixed(3);
    await this.x.send(`ISET${this.channel}:${text}`);
    return Number(text);
  }

  async output(on: boolean): Promise<void> {
    // OUT has no channel digit on the single-channel models: the digit is the state.
    await this.x.send(on ? 'OUT1' : 'OUT0');
  }

  async readOutput(): Promise<boolean> {
    const reply = await this.x.query('STATUS?');
    if (reply.length !== 1) throw new RigError(`supply on ${this.port} answered STATUS? with ${quoteBytes(reply)}, not one status byte`);
    return (reply[0]! & STATUS_OUTPUT) !== 0;
  }

  async measureVolts(): Promise<number> {
    const cmd = `VOUT${this.channel}?`;
    return parseNumberReply(this.port, cmd, await this.x.query(cmd));
  }

  /**
   * No error queue here: reads the set point back instead, which catches a dropped VSET (the
   * usual Korad failure) and tells us the supply has processed the last one.
   */
  async checkErrors(): Promise<void> {
    if (this.lastVolts === undefined) return;
    const cmd = `VSET${this.channel}?`;
    const got = parseNumberReply(this.port, cmd, await this.x.query(cmd));
    if (Math.abs(got - this.lastVolts) > 0.005) {
      throw new RigError(`supply on ${this.port}: set point reads back ${got} V, last sent ${this.lastVolts} V (a command was dropped?)`);
    }
  }

  close(): Promise<void> {
    return this.x.close();
  }
}

export function checkKoradChannel(channel: unknown): number {
  if (typeof channel !== 'number' || !Number.isInteger(channel) || channel < 1 || channel > 9) throw new RigError(`korad: channel must be an integer 1..9, got ${String(channel)}`);
  return channel;
}
