/**
 * Wiring across rigs of one bench: the rig files next to this one must not claim the same GPIO
 * line, serial port, hub port or probe, or running two of them at once would drive one relay
 * from two places. (Two roles on one pin inside a file is already a config error.)
 */
import path from 'node:path';
import { ConfigFileError, displayFile, formatIssue, loadRig, type RigConfig } from '../config/index.js';
import { ConfigError } from '../core/errors.js';
import { list, resolveLink, under } from './env.js';
import { listChips, type GpioChip } from './gpio.js';
import { rigSerialPorts } from './serial.js';
import type { Check, CheckContext, DoctorEnv } from './types.js';

interface Claim {
  /** What two rigs may not share, normalised (`pin gpiochip0 offset 17`, `serial /dev/ttyUSB0`). */
  key: string;
  /** How this rig names it, for the message. */
  label: string;
  kind: 'pin' | 'port' | 'probe';
}

/** Chip by label or device name -> this machine's device name, so `pinctrl-rp1` and `gpiochip0` compare equal. */
function chipKey(chip: string, chips: GpioChip[]): string {
  return chips.find((c) => c.name === chip || c.label === chip)?.name ?? chip;
}

export async function rigClaims(env: DoctorEnv, rig: RigConfig, chips: GpioChip[]): Promise<Claim[]> {
  const claims: Claim[] = [];
  for (const [name, pin] of Object.entries(rig.gpio?.pins ?? {})) {
    const label = pin.line !== undefined ? `pin ${name} (line ${pin.line})` : `pin ${name} (${pin.chip} offset ${pin.offset})`;
    const key = pin.line !== undefined ? `line ${pin.line}` : `chip ${chipKey(pin.chip ?? '', chips)} offset ${pin.offset}`;
    claims.push({ key, label, kind: 'pin' });
  }
  for (const { key, port } of rigSerialPorts(rig)) {
    const real = await resolveLink(under(env, port));
    // By device when it is plugged in: a by-id name and /dev/ttyUSB0 can be the same adapter.
    const device = real ? (env.root === '/' ? real : '/' + path.relative(env.root, real)) : port;
    claims.push({ key: `serial ${device}`, label: `${key} ${port}`, kind: 'port' });
  }
  if (rig.power.driver === 'uhubctl') claims.push({ key: `hub ${rig.power.hub} port ${rig.power.port}`, label: `power: uhubctl hub ${rig.power.hub} port ${rig.power.port}`, kind: 'port' });
  if (rig.probe?.driver === 'openocd' && rig.probe.adapterSerial !== undefined) {
    claims.push({ key: `probe ${rig.probe.adapterSerial}`, label: `probe.adapterSerial ${rig.probe.adapterSerial}`, kind: 'probe' });
  }
  for (const [name, mcu] of Object.entries(rig.mcus ?? {})) {
    if (mcu.probe?.driver === 'openocd' && mcu.probe.adapterSerial !== undefined) {
      claims.push({ key: `probe ${mcu.probe.adapterSerial}`, label: `mcus.${name}.probe.adapterSerial ${mcu.probe.adapterSerial}`, kind: 'probe' });
    }
  }
  return claims;
}

/**
 * Rig files compared at most: a bench folder holds a handful. Each is read like any rig file
 * (bounded size, never a FIFO), so a folder of hostile files costs at most this many parses.
 */
export const MAX_COMPARED_RIGS = 32;

export async function checkRigWiring({ env, rig, signal }: CheckContext): Promise<Check[]> {
  if (!rig) return [{ id: 'wiring', title: 'Rig wiring', status: 'skip', detail: 'needs a rig: hil doctor --rig RIG' }];
  const dir = path.dirname(rig.file);
  const others: RigConfig[] = [];
  const broken: string[] = [];
  const brokenFiles: string[] = [];
  const siblings = (await list(dir)).filter((entry) => /\.ya?ml$/.test(entry) && path.join(dir, entry) !== rig.file);
  for (const entry of siblings.slice(0, MAX_COMPARED_RIGS)) {
    signal?.throwIfAborted();
    try {
      others.push(await loadRig(path.join(dir, entry)));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      // The first problem, at its place in the file as named in this folder.
      const issue = err instanceof ConfigFileError ? err.issues[0] : undefined;
      broken.push(issue ? formatIssue({ ...issue, file: entry }) : `${entry} (${err.message.split('\n')[0]})`);
      brokenFiles.push(entry);
    }
  }
  signal?.throwIfAborted();
  const skipped = siblings.length - Math.min(siblings.length, MAX_COMPARED_RIGS);
  const chips = rig.gpio || others.some((o) => o.gpio) ? await listChips(env) : [];
  const mine = await rigClaims(env, rig, chips);
  const clashes: Record<Claim['kind'], string[]> = { pin: [], port: [], probe: [] };
  for (const other of others) {
    const theirs = await rigClaims(env, other, chips);
    for (const c of mine) {
      const t = theirs.find((x) => x.key === c.key);
      if (t) clashes[c.kind].push(`${c.label} is also ${t.label} in ${path.basename(other.file)}`);
    }
  }
  const where = `${others.length} other rig file${others.length === 1 ? '' : 's'} in ${displayFile(dir)}`;
  const checks: Check[] = [];
  const pins = mine.filter((c) => c.kind === 'pin').length;
  checks.push(
    clashes.pin.length
      ? {
          id: 'wiring.pins',
          title: 'GPIO pins not shared',
          status: 'fail',
          detail: clashes.pin.join('; '),
          fix: `give each rig its own line: change the pin in ${path.basename(rig.file)} or in the other file (one relay, one rig)`,
        }
      : { id: 'wiring.pins', title: 'GPIO pins not shared', status: 'ok', detail: pins ? `${pins} pin${pins === 1 ? '' : 's'}, none used by the ${where}` : `no pins; checked against the ${where}` },
  );
  const ports = mine.filter((c) => c.kind === 'port').length;
  checks.push(
    clashes.port.length
      ? {
          id: 'wiring.ports',
          title: 'Ports not shared',
          status: 'fail',
          detail: clashes.port.join('; '),
          fix: `one serial port or hub port per rig: point ${path.basename(rig.file)} or the other file at its own adapter (ls -l /dev/serial/by-id/)`,
        }
      : {
          id: 'wiring.ports',
          title: 'Ports not shared',
          status: 'ok',
          detail: ports ? `${ports} port${ports === 1 ? '' : 's'}, none used by the ${where}` : `no serial or hub ports; checked against the ${where}`,
        },
  );
  if (clashes.probe.length) {
    checks.push({
      id: 'wiring.probe',
      title: 'Probe not shared',
      status: 'warn',
      detail: `${clashes.probe.join('; ')}: the two rigs cannot run at the same time`,
      fix: 'give each rig its own probe (adapterSerial), or never run them together',
    });
  }
  if (skipped > 0) {
    checks.push({
      id: 'wiring.skipped',
      title: 'Other rig files',
      status: 'warn',
      detail: `${skipped} more rig file${skipped === 1 ? '' : 's'} in ${displayFile(dir)} not compared (only the first ${MAX_COMPARED_RIGS} are)`,
      fix: "keep one bench's rig files in their own folder",
    });
  }
  if (broken.length) {
    checks.push({
      id: 'wiring.files',
      title: 'Other rig files',
      status: 'warn',
      detail: `not compared, they do not load: ${broken.join('; ')}`,
      fix: `hil doctor --rig ${displayFile(path.join(dir, brokenFiles[0]!))}   # shows what is wrong with it`,
    });
  }
  return checks;
}
