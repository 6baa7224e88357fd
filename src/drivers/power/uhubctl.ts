/**
 * Per-port USB power through `uhubctl -l LOCATION -p PORT -a on|off` (reference §4.3).
 * Spawned with an argv array (no shell); the new state is confirmed from uhubctl's
 * "New status for hub …" section, which lists `Port N: XXXX power …` or `Port N: 0000 off`
 * for every hub uhubctl switched (USB 3 hubs appear twice: both halves must agree).
 * Only hubs that really switch VBUS per port cut power; Pi 4/5 on-board ports are ganged.
 */
import { execa } from 'execa';
import { ScaledClock, type Clock } from '../../core/clock.js';
import { RigError } from '../../core/errors.js';
import type { Timeline } from '../../core/timeline.js';
import type { Power } from '../capabilities.js';

export interface UhubctlPowerOptions {
  /** Hub location as uhubctl prints it, e.g. `1-1.3`. */
  hub: string;
  port: number;
  /** Path of the uhubctl binary. Default `uhubctl`. */
  uhubctl?: string;
  /** Extra arguments for `off` (labgrid uses `-r 100` for hubs whose driver re-enables ports). */
  offArgs?: readonly string[];
  /** cycle() never keeps the port off for less than this (clamped up, recorded on the timeline). Default 500. */
  minOffMs?: number;
  timeoutMs?: number;
  clock?: Clock;
  timeline?: Timeline;
  log?: (msg: string) => void;
}

/** Port states found in the "New status" sections of uhubctl output (one entry per hub listed). */
export function parseUhubctlNewStatus(output: string, port: number): ('on' | 'off')[] {
  const states: ('on' | 'off')[] = [];
  const sections = output.split(/^New status for hub /m).slice(1);
  for (const sec of sections) {
    const body = sec.split(/^(?:Current status for hub |Sending )/m)[0];
    const m = new RegExp(`^\\s*Port ${port}:\\s*[0-9a-fA-F]{4}(.*)$`, 'm').exec(body);
    if (m) states.push(/\bpower\b/.test(m[1]) ? 'on' : 'off');
  }
  return states;
}

export class UhubctlPower implements Power {
  readonly hub: string;
  readonly port: number;
  readonly bin: string;
  readonly minOffMs: number;
  private current: 'on' | 'off' | 'unknown' = 'unknown';
  private readonly offArgs: readonly string[];
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly timeline?: Timeline;
  private readonly log: (msg: string) => void;

  constructor(opts: UhubctlPowerOptions) {
    if (!Number.isInteger(opts.port) || opts.port < 1) throw new RigError(`uhubctl: port must be an integer >= 1, got ${String(opts.port)}`);
    if (typeof opts.hub !== 'string' || opts.hub === '') throw new RigError('uhubctl: hub location is empty');
    // Any other byte reaches uhubctl literally (argv, no shell); a NUL cannot be an argv element at all.
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
    if (/[\u0000-\u001f\u007f]/.test(opts.hub)) throw new RigError(`uhubctl: hub location ${JSON.stringify(opts.hub)} has a control character; a location looks like 1-1.3`);
    this.hub = opts.hub;
    this.port = opts.port;
    this.bin = opts.uhubctl ?? 'uhubctl';
    this.offArgs = opts.offArgs ?? [];
    this.minOffMs = opts.minOffMs ?? 500;
    this.timeoutMs = opts.timeoutMs ?? 15000;
    this.clock = opts.clock ?? new ScaledClock(1);
    this.timeline = opts.timeline;
    this.log = opts.log ?? (() => {});
  }

  get state(): 'on' | 'off' | 'unknown' {
    return this.current;
  }

  private async switch(action: 'on' | 'off'): Promise<void> {
    const args = ['-l', this.hub, '-p', String(this.port), ...(action === 'off' ? this.offArgs : []), '-a', action];
    const where = `hub ${JSON.stringify(this.hub)} port ${this.port}`;
    let r;
    try {
      r = await execa(this.bin, args, { reject: false, stdin: 'ignore', timeout: this.timeoutMs, all: true });
    } catch (cause) {
      this.current = 'unknown';
      throw new RigError(`uhubctl: cannot run ${this.bin}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    }
    const out = r.all ?? `${r.stdout}\n${r.stderr}`;
    if (r.failed && r.exitCode === undefined) {
      this.current = 'unknown';
      const enoent = (r.cause as { code?: string } | undefined)?.code === 'ENOENT' || /ENOENT/.test(String(r.message));
      throw new RigError(enoent ? `uhubctl: ${this.bin} not found (apt install uhubctl)` : `uhubctl: ${this.bin} failed: ${r.shortMessage}`);
    }
    if (/No compatible devices detected/i.test(out)) {
      this.current = 'unknown';
      throw new RigError(`uhubctl: no switchable hub at ${JSON.stringify(this.hub)} (${out.trim().split('\n').pop()})`);
    }
    if (r.exitCode !== 0) {
      this.current = 'unknown';
      const hint = /permission|EACCES|root/i.test(out) ? ' (needs root or the udev rule from the uhubctl README)' : '';
      throw new RigError(`uhubctl: ${where} ${action} failed, exit ${r.exitCode}${hint}: ${out.trim().slice(-300)}`);
    }
    const states = parseUhubctlNewStatus(out, this.port);
    if (states.length === 0) {
      this.current = 'unknown';
      throw new RigError(`uhubctl: ${where} does not exist (no "Port ${this.port}:" in uhubctl's new status)`);
    }
    if (states.some((s) => s !== action)) {
      this.current = 'unknown';
      throw new RigError(`uhubctl: ${where} did not switch ${action} (new status: ${states.join(', ')}); hub without per-port power?`);
    }
    this.current = action;
  }

  async on(): Promise<void> {
    this.timeline?.add('power', 'on', `uhubctl ${this.hub} port ${this.port}`);
    await this.switch('on');
  }

  async off(): Promise<void> {
    this.timeline?.add('power', 'off', `uhubctl ${this.hub} port ${this.port}`);
    await this.switch('off');
  }

  async cycle(offMs: number): Promise<void> {
    if (!(Number.isFinite(offMs) && offMs >= 0)) throw new RigError(`uhubctl: cycle(offMs) needs a number >= 0, got ${String(offMs)}`);
    const eff = Math.max(offMs, this.minOffMs);
    if (eff !== offMs) {
      const msg = `off time ${offMs} ms clamped to ${eff} ms (uhubctl minOffMs)`;
      this.timeline?.add('power', 'cycle-clamped', msg, { requestedMs: offMs, offMs: eff });
      this.log(`uhubctl: ${msg}`);
    }
    await this.off();
    await this.clock.sleep(eff);
    await this.on();
  }
}
