/**
 * A bench supply emulator on the far end of a socat pty, opened with serialport like the real
 * device's USB-serial side would be. It answers like a Korad KA3005P (no terminators) or like a
 * SCPI supply (lines, an error queue). It keeps its state and a timestamped log, and can be told
 * to stay silent or answer garbage.
 *
 * Korad input is split by the command grammar, not by quiet gaps: the fake runs in the test's own
 * process, so when that process is stalled two well-paced commands wait in the pty together and
 * arrive as one read; a real Korad would have had them 50 ms apart. Whether the driver paces its
 * commands (the firmware merges closer ones) is checked on the driver's own clock (Bench.turns).
 * Bytes that are no command stay unknown. A query is answered from the very event that delivered
 * its '?', with no timer in between: each extra timer turn in this process is one more chance for
 * the driver's reply deadline, due in the same event loop, to be served first.
 */
import { SerialPort } from 'serialport';

export interface FakeSupplyOptions {
  protocol: 'korad' | 'scpi';
  path: string;
  baud?: number;
  /** Latency before a reply. Default 0: answered from the data event itself. */
  replyDelayMs?: number;
  /** Korad: how long the line must be quiet to end a command. Default 15 ms. */
  quietMs?: number;
  /** Set points above this are refused (SCPI: error -222; Korad: ignored). Default 30. */
  maxVolts?: number;
}

export interface LoggedCommand {
  /** performance.now() at the command's first and last byte. */
  t: number;
  tEnd: number;
  cmd: string;
  /** Not a command this supply knows (or two commands merged). */
  unknown?: boolean;
}

/** One Korad command at the start of the input. */
const KORAD_COMMAND = /^(?:\*IDN\?|[VI]SET\d:\d+(?:\.\d+)?|OUT[01]|[VI]SET\d\?|[VI]OUT\d\?|STATUS\?)/;

export const GARBAGE = Buffer.from([0xff, 0xfe, 0x3f, 0x21]);

export class FakeSupply {
  mode: 'normal' | 'silent' | 'garbage' = 'normal';
  /** Ignores OUT/OUTP, as a supply in a fault state or a wrong channel would. */
  stuckOutput = false;
  /** Korad: ignore the VSET that arrives when this many more have come (1 = the next one). */
  dropVsetIn = 0;
  volts = 0;
  amps = 0;
  output = false;
  channel = 1;
  readonly errors: string[] = [];
  readonly log: LoggedCommand[] = [];
  private rx = '';
  private rxStart = 0;
  private quiet?: NodeJS.Timeout;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly port: SerialPort,
    private readonly o: Required<FakeSupplyOptions>,
  ) {
    port.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  static async open(opts: FakeSupplyOptions): Promise<FakeSupply> {
    const o = { baud: 9600, replyDelayMs: 0, quietMs: 15, maxVolts: 30, ...opts };
    const port = new SerialPort({ path: o.path, baudRate: o.baud, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    return new FakeSupply(port, o);
  }

  /** Every command as received, in order. */
  get commands(): string[] {
    return this.log.map((l) => l.cmd);
  }

  /** The voltage set points received, in order (VSET / VOLT). */
  get setpoints(): number[] {
    return this.log.flatMap((l) => {
      const m = /^(?:VSET\d:|:?(?:SOUR\d?:)?VOLT )([\d.]+)$/i.exec(l.cmd);
      return m ? [Number(m[1])] : [];
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.quiet);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.port.isOpen) await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }

  private onData(chunk: Buffer): void {
    const now = performance.now();
    if (this.o.protocol === 'scpi') {
      if (this.rx === '') this.rxStart = now;
      this.rx += chunk.toString('latin1');
      let nl;
      while ((nl = this.rx.indexOf('\n')) >= 0) {
        const line = this.rx.slice(0, nl).replace(/\r$/, '');
        this.rx = this.rx.slice(nl + 1);
        this.handle(line, this.rxStart, now);
        this.rxStart = now;
      }
      return;
    }
    if (this.rx === '') this.rxStart = now;
    this.rx += chunk.toString('latin1');
    clearTimeout(this.quiet);
    for (let m; (m = KORAD_COMMAND.exec(this.rx));) {
      // A set command at the very end may still be growing (VSET1:3.3 + 0): the quiet gap ends it.
      if (!m[0].endsWith('?') && m[0].length === this.rx.length) break;
      this.rx = this.rx.slice(m[0].length);
      this.handle(m[0], this.rxStart, now);
      this.rxStart = now;
    }
    if (this.rx === '') return;
    this.quiet = setTimeout(() => {
      const cmd = this.rx;
      this.rx = '';
      this.handle(cmd, this.rxStart, performance.now() - this.o.quietMs);
    }, this.o.quietMs);
  }

  private handle(cmd: string, t: number, tEnd: number): void {
    const entry: LoggedCommand = { t, tEnd, cmd };
    this.log.push(entry);
    const reply = this.o.protocol === 'korad' ? this.korad(cmd) : this.scpi(cmd.trim());
    if (reply === null) entry.unknown = true;
    if (reply === undefined || reply === null || this.mode === 'silent') return;
    const bytes = this.mode === 'garbage' ? Buffer.concat([GARBAGE, Buffer.from(this.o.protocol === 'scpi' ? '\n' : '')]) : Buffer.isBuffer(reply) ? reply : Buffer.from(reply, 'latin1');
    if (this.o.replyDelayMs <= 0) {
      if (this.port.isOpen) this.port.write(bytes);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.port.isOpen) this.port.write(bytes);
    }, this.o.replyDelayMs);
    this.timers.add(timer);
  }

  /** A reply, undefined for a command without one, null for an unknown command. */
  private korad(cmd: string): string | Buffer | undefined | null {
    let m;
    if (cmd === '*IDN?') return 'KORAD KA3005P V5.5 SN:00000042';
    if ((m = /^VSET1:(\d+(?:\.\d+)?)$/.exec(cmd))) {
      if (this.dropVsetIn > 0 && --this.dropVsetIn === 0) return undefined;
      if (Number(m[1]) <= this.o.maxVolts) this.volts = Number(m[1]);
      return undefined;
    }
    if ((m = /^ISET1:(\d+(?:\.\d+)?)$/.exec(cmd))) return void (this.amps = Number(m[1]));
    if ((m = /^OUT([01])$/.exec(cmd))) return void (this.stuckOutput || (this.output = m[1] === '1'));
    if (cmd === 'VSET1?') return this.volts.toFixed(2).padStart(5, '0');
    if (cmd === 'VOUT1?') return (this.output ? this.volts : 0).toFixed(2).padStart(5, '0');
    if (cmd === 'IOUT1?') return '0.000';
    if (cmd === 'STATUS?') return Buffer.from([(this.output ? 0x40 : 0) | 0x01]);
    return null;
  }

  private scpi(line: string): string | undefined | null {
    const [head = '', arg] = line.replace(/^:/, '').split(/\s+/, 2);
    const h = head.toUpperCase().replace(/^SOUR\d?:/, '');
    const reply = (s: string): string => `${s}\n`;
    switch (h) {
      case '*IDN?':
        return reply('HILRIG,FAKE-SCPI-PSU,0,1.0');
      case '*CLS':
        this.errors.length = 0;
        return undefined;
      case 'INST:NSEL':
        this.channel = Number(arg);
        return undefined;
      case 'VOLT': {
        const v = Number(arg);
        if (!(v >= 0 && v <= this.o.maxVolts)) this.errors.push('-222,"Data out of range"');
        else this.volts = v;
        return undefined;
      }
      case 'CURR':
        this.amps = Number(arg);
        return undefined;
      case 'OUTP':
        if (!this.stuckOutput) this.output = ['ON', '1'].includes((arg ?? '').toUpperCase());
        return undefined;
      case 'OUTP?':
        return reply(this.output ? '1' : '0');
      case 'VOLT?':
        return reply(this.volts.toFixed(3));
      case 'MEAS:VOLT?':
        return reply((this.output ? this.volts : 0).toFixed(3));
      case 'SYST:ERR?':
        return reply(this.errors.shift() ?? '0,"No error"');
      default:
        this.errors.push('-113,"Undefined header"');
        return null;
    }
  }
}
