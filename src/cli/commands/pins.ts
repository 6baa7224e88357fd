import { loadRig, type RigConfig } from '../../config/index.js';
import { ConfigError, ExitCode, UsageError } from '../../core/errors.js';
import { openRigControls } from '../../rig/open-controls.js';
import { pulsePin } from '../../rig/bench-controls.js';
import { requireOption, type Command } from '../command.js';
import { holdRig, parseHold } from '../rig-access.js';
import { pinsHelp } from './pins.help.js';

export interface PinAction {
  pin: string;
  /** Logical level (1 = asserted; an activeLow pin is driven low for 1), or a pulse of 1. */
  level?: 0 | 1;
  pulseMs?: number;
}

/** `BOOT0=1`, `RESET=pulse:100ms`, `relay=0`: pin names match the rig file case-insensitively. */
export function parsePinActions(config: RigConfig, args: readonly string[]): PinAction[] {
  const pins = config.gpio?.pins ?? {};
  const outputs = Object.keys(pins).filter((n) => pins[n]!.direction === 'out');
  return args.map((arg) => {
    const m = /^([^=]+)=(.*)$/.exec(arg);
    if (!m) throw new UsageError(`${JSON.stringify(arg)}: expected NAME=0, NAME=1 or NAME=pulse:100ms`);
    const [, want, value] = m as unknown as [string, string, string];
    const exact = outputs.find((n) => n === want);
    const folded = outputs.filter((n) => n.toLowerCase() === want.toLowerCase());
    const pin = exact ?? (folded.length === 1 ? folded[0] : undefined);
    if (pin === undefined) {
      const isInput = Object.keys(pins).some((n) => n.toLowerCase() === want.toLowerCase());
      throw new UsageError(
        isInput
          ? `${want}: is an input pin in ${config.file}; only outputs can be set`
          : `${want}: no such output pin in ${config.file}${outputs.length ? ` (outputs: ${outputs.join(', ')})` : ' (it declares no gpio pins)'}`,
      );
    }
    if (value === '0' || value === '1') return { pin, level: Number(value) as 0 | 1 };
    const p = /^pulse(?::(\d+(?:\.\d+)?)(ms|s)?)?$/.exec(value);
    if (p) {
      const n = p[1] === undefined ? 100 : Number(p[1]) * (p[2] === 's' ? 1000 : 1);
      if (!(n > 0 && n <= 60_000)) throw new UsageError(`${arg}: a pulse lasts between 1 ms and 60 s`);
      return { pin, pulseMs: n };
    }
    throw new UsageError(`${arg}: expected 0, 1 or pulse:DURATION (pulse:100ms), got ${JSON.stringify(value)}`);
  });
}

export const pinsCommand: Command = {
  ...pinsHelp,
  async run({ values, positionals, out, signal }) {
    const config = await loadRig(requireOption(values, 'rig', this));
    const pins = config.gpio?.pins ?? {};
    if (positionals.length === 0) {
      const list = Object.entries(pins).map(([name, p]) => ({
        name,
        line: p.line !== undefined ? p.line : `${p.chip} offset ${p.offset}`,
        direction: p.direction,
        activeLow: p.activeLow,
        safe: p.safe,
        role: config.power.driver === 'relay' && config.power.pin === name ? 'power' : config.reset?.pin === name ? 'reset' : config.marker?.pin === name ? 'marker' : '',
      }));
      if (out.json) out.printJson({ rig: config.name, backend: config.gpio?.backend ?? null, pins: list });
      else if (list.length === 0) out.data(`${config.name}: no gpio pins`);
      else for (const p of list) out.data(`${p.name.padEnd(10)} ${p.line.padEnd(22)} ${p.direction.padEnd(3)} ${p.activeLow ? 'activeLow ' : ''}safe ${p.safe}${p.role ? `  (${p.role})` : ''}`);
      return ExitCode.ok;
    }
    const actions = parsePinActions(config, positionals);
    const forMs = parseHold(values.for as string | undefined);
    const rig = await openRigControls(config);
    try {
      if (!rig.gpio) throw new ConfigError(`${config.file}: no gpio pins to set${config.twin ? ' (a twin rig has none)' : ''}`);
      const applied: (PinAction & { t: number })[] = [];
      for (const a of actions) {
        if (signal.aborted) break;
        // Ctrl-C during a pulse ends it early (deasserted); the rig then goes safe.
        if (a.pulseMs !== undefined) {
          await pulsePin(rig.gpio, a.pin, a.pulseMs, rig.clock, signal).catch((err: unknown) => {
            if (!signal.aborted) throw err;
          });
        } else await rig.gpio.lines.set(a.pin, a.level!);
        applied.push({ ...a, t: rig.clock.now() });
        out.info(`${a.pin} ${a.pulseMs !== undefined ? `pulsed ${a.pulseMs} ms` : `= ${a.level}`}`);
      }
      const state = rig.gpio.outputs.map((n) => `${n}=${rig.gpio!.lines.get(n)}`).join(' ');
      const heldMs = await holdRig(config, state, forMs, signal, out);
      if (out.json) out.printJson({ ok: true, rig: config.name, applied, levels: Object.fromEntries(rig.gpio.outputs.map((n) => [n, rig.gpio!.lines.get(n)])), heldMs });
      return ExitCode.ok;
    } finally {
      await rig.close();
    }
  },
};
