/**
 * SCPI supplies over serial, kept to the subset most of them share: `*IDN?`, `*CLS`,
 * `INST:NSEL n`, `VOLT v`, `CURR a`, `OUTP ON|OFF`, `OUTP?`, `MEAS:VOLT?`, `SYST:ERR?`;
 * every line ends with \n. Set commands get no reply, so errors surface only through the error
 * queue: each set is followed by SYST:ERR? unless the caller opts out (a sag step, where the
 * extra round trip would double the step time) and checks once afterwards.
 */
import { RigError } from '../../../core/errors.js';
import { NoReplyError, type Exchange } from './exchange.js';
import { noAnswer, parseNumberReply, parseTextReply, requireLevel, type SupplyProtocol } from './protocol.js';

/** Enough to drain a real queue; a supply that never says "no error" is broken, not busy. */
const MAX_QUEUED_ERRORS = 20;

export class ScpiProtocol implements SupplyProtocol {
  readonly name = 'scpi' as const;

  constructor(
    private readonly x: Exchange,
    /** Selected with INST:NSEL at open(); undefined leaves a single-channel supply alone. */
    private readonly channel?: number,
  ) {
    checkScpiChannel(channel);
  }

  get port(): string {
    return this.x.port;
  }

  async identify(): Promise<string> {
    let reply;
    try {
      reply = await this.x.query('*IDN?');
    } catch (err) {
      if (err instanceof NoReplyError) throw noAnswer(this.port, err);
      throw err;
    }
    const idn = parseTextReply(this.port, '*IDN?', reply);
    // Errors queued before we came (front panel, an earlier session) must not be blamed on our sets.
    await this.x.send('*CLS');
    if (this.channel !== undefined) await this.set(`INST:NSEL ${this.channel}`, true);
    return idn;
  }

  async setVolts(volts: number, opts?: { check?: boolean }): Promise<number> {
    const text = requireLevel('scpi', 'volts', volts).toFixed(3);
    await this.set(`VOLT ${text}`, opts?.check ?? true);
    return Number(text);
  }

  async setAmps(amps: number): Promise<number> {
    const text = requireLevel('scpi', 'amps', amps).toFixed(3);
    await this.set(`CURR ${text}`, true);
    return Number(text);
  }

  output(on: boolean): Promise<void> {
    return this.set(`OUTP ${on ? 'ON' : 'OFF'}`, true);
  }

  async readOutput(): Promise<boolean> {
    const reply = await this.x.query('OUTP?');
    const text = reply.toString('latin1').trim().toUpperCase();
    if (text === '1' || text === 'ON') return true;
    if (text === '0' || text === 'OFF') return false;
    return parseNumberReply(this.port, 'OUTP?', reply) !== 0;
  }

  async measureVolts(): Promise<number> {
    return parseNumberReply(this.port, 'MEAS:VOLT?', await this.x.query('MEAS:VOLT?'));
  }

  /** Drains SYST:ERR?; a RigError with every queued error if there was any. */
  async checkErrors(after?: string): Promise<void> {
    const errors: string[] = [];
    for (let i = 0; i < MAX_QUEUED_ERRORS; i++) {
      const text = parseTextReply(this.port, 'SYST:ERR?', await this.x.query('SYST:ERR?'));
      const code = /^\s*([+-]?\d+)/.exec(text);
      if (!code) throw new RigError(`supply on ${this.port} answered SYST:ERR? with ${JSON.stringify(text)}, not "<code>,<message>"`);
      if (Number(code[1]) === 0) break;
      errors.push(text);
    }
    if (errors.length) throw new RigError(`supply on ${this.port} reported ${after ? `after ${after}: ` : ''}${errors.join('; ')}`);
  }

  close(): Promise<void> {
    return this.x.close();
  }

  private async set(cmd: string, check: boolean): Promise<void> {
    await this.x.send(cmd);
    if (check) await this.checkErrors(cmd);
  }
}

export function checkScpiChannel(channel: unknown): number | undefined {
  if (channel === undefined) return undefined;
  if (typeof channel !== 'number' || !Number.isInteger(channel) || channel < 1 || channel > 99) throw new RigError(`scpi: channel must be an integer 1..99, got ${String(channel)}`);
  return channel;
}
