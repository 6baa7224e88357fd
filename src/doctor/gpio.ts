/**
 * GPIO: the character devices exist and this user can open them, the libgpiod tools are there
 * (v1 and v2 take different arguments), sysfs export is writable when the rig uses sysfs, and
 * every pin of the rig names a chip (by device name or label) and a line that exist.
 */
import path from 'node:path';
import { addToGroupFix, exists, fileStat, groupMembership, groupName, list, pathState, readText, under, which } from './env.js';
import type { Check, CheckContext, CheckStatus, DoctorEnv } from './types.js';

export interface GpioChip {
  /** `gpiochip0` */
  name: string;
  label?: string;
  /** First global (sysfs) number: 512 on Pi 4-class kernels, 571 on a Pi 5. */
  base?: number;
  lines?: number;
}

/** Which header the label belongs to: the Pi 5 renamed its chips, so labels are what to match on. */
export function describeLabel(label: string | undefined): string {
  if (label === 'pinctrl-rp1') return ' (Raspberry Pi 5 header)';
  if (label === 'pinctrl-bcm2711') return ' (Raspberry Pi 4 header)';
  if (label === 'pinctrl-bcm2835') return ' (Raspberry Pi 3 and older header)';
  return '';
}

const GPIO_UDEV_FIX = `sudo groupadd -f gpio && echo 'SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"' | sudo tee /etc/udev/rules.d/60-gpio.rules && sudo udevadm control --reload-rules && sudo udevadm trigger && ${addToGroupFix('gpio')}`;

/** label/base/ngpio of the legacy sysfs node below the chip's device (`…/gpiochip0/gpio/gpiochip512/`). */
async function sysfsInfo(env: DoctorEnv, name: string): Promise<Omit<GpioChip, 'name'>> {
  const dev = under(env, `/sys/bus/gpio/devices/${name}`);
  for (const sub of [path.join(dev, 'gpio'), dev]) {
    for (const entry of await list(sub)) {
      if (!/^gpiochip\d+$/.test(entry) || entry === name) continue;
      const dir = path.join(sub, entry);
      const label = await readText(path.join(dir, 'label'));
      if (label === undefined) continue;
      const base = Number(await readText(path.join(dir, 'base')));
      const lines = Number(await readText(path.join(dir, 'ngpio')));
      return { label, ...(Number.isFinite(base) && { base }), ...(Number.isFinite(lines) && { lines }) };
    }
  }
  return {};
}

/** `gpiochip0 [pinctrl-rp1] (54 lines)`, the format of gpiodetect v1 and v2. */
export function parseGpiodetect(text: string): GpioChip[] {
  const chips: GpioChip[] = [];
  for (const m of text.matchAll(/^(gpiochip\d+)\s+\[([^\]]*)\]\s+\((\d+) lines\)/gm)) chips.push({ name: m[1]!, label: m[2]!, lines: Number(m[3]) });
  return chips;
}

/** /dev/gpiochip*, with labels from sysfs, or from gpiodetect when sysfs has none. */
export async function listChips(env: DoctorEnv): Promise<GpioChip[]> {
  const names = (await list(under(env, '/dev'))).filter((n) => /^gpiochip\d+$/.test(n));
  const chips: GpioChip[] = [];
  for (const name of names) {
    if ((await pathState(under(env, `/dev/${name}`))) !== 'present') continue;
    chips.push({ name, ...(await sysfsInfo(env, name)) });
  }
  if (chips.some((c) => c.label === undefined)) {
    const tool = await which(env, 'gpiodetect');
    if (tool) {
      const r = await env.run(tool, [], { timeoutMs: 5000 });
      const detected = r.exitCode === 0 ? parseGpiodetect(r.stdout) : [];
      for (const c of chips) {
        const d = detected.find((x) => x.name === c.name);
        if (d && c.label === undefined) Object.assign(c, { label: d.label, lines: c.lines ?? d.lines });
      }
    }
  }
  return chips;
}

function chipSummary(c: GpioChip): string {
  const parts = [c.name, c.label ? `[${c.label}]` : '[no label]', c.lines !== undefined ? `${c.lines} lines` : '', c.base !== undefined ? `sysfs base ${c.base}` : ''];
  return parts.filter(Boolean).join(' ') + describeLabel(c.label);
}

/** `gpioset (libgpiod) v1.6.3` -> 1; v2 prints `gpioset (libgpiod) v2.1`. */
export function parseLibgpiodMajor(text: string): number | undefined {
  const m = /\bv(\d+)\.\d+/.exec(text);
  return m ? Number(m[1]) : undefined;
}

async function accessFix(env: DoctorEnv, devPath: string): Promise<string> {
  const owner = await fileStat(devPath);
  const group = owner ? await groupName(env, owner.gid) : undefined;
  if (group && group !== 'root') {
    const m = await groupMembership(env, group);
    if (m.state === 'relogin') return `you were added to ${group} but this session predates it: log out and in again (or run: newgrp ${group})`;
    return addToGroupFix(group);
  }
  return GPIO_UDEV_FIX;
}

export async function checkGpio({ env, rig }: CheckContext): Promise<Check[]> {
  const gpio = rig?.gpio;
  if (rig && !gpio) return [{ id: 'gpio', title: 'GPIO', status: 'skip', detail: 'not used by this rig (no gpio: section)' }];
  const missing: CheckStatus = gpio ? 'fail' : 'warn';
  const backend = gpio?.backend;
  const checks: Check[] = [];

  const chips = await listChips(env);
  if (chips.length === 0) {
    checks.push({
      id: 'gpio.chips',
      title: 'GPIO chips',
      status: missing,
      detail: 'no /dev/gpiochip*: not a Raspberry Pi, or a container started without the devices',
      fix: 'in a container: docker run --device /dev/gpiochip0 … (the header chip; on a Pi 5 also /dev/gpiochip4, its alias)',
    });
  } else {
    checks.push({ id: 'gpio.chips', title: 'GPIO chips', status: 'ok', detail: chips.map(chipSummary).join('; ') });
  }

  // The pins' chips, when they resolve; otherwise every chip (the rig may use any of them).
  const used = new Set<string>();
  if (gpio) {
    for (const pin of Object.values(gpio.pins)) {
      const c = pin.chip !== undefined ? chips.find((x) => x.name === pin.chip || x.label === pin.chip) : undefined;
      if (c) used.add(c.name);
    }
  }
  if (chips.length && backend !== 'sysfs') {
    const toCheck = used.size ? chips.filter((c) => used.has(c.name)) : chips;
    const denied: string[] = [];
    for (const c of toCheck) if (!(await env.access(under(env, `/dev/${c.name}`), 'rw'))) denied.push(c.name);
    if (denied.length === 0) checks.push({ id: 'gpio.access', title: 'GPIO permissions', status: 'ok', detail: `${toCheck.map((c) => `/dev/${c.name}`).join(', ')} readable and writable` });
    else {
      checks.push({
        id: 'gpio.access',
        title: 'GPIO permissions',
        status: missing,
        detail: `${env.user || `uid ${env.uid}`} cannot open ${denied.map((n) => `/dev/${n}`).join(', ')} for writing`,
        fix: await accessFix(env, under(env, `/dev/${denied[0]}`)),
      });
    }
  }

  let major: number | undefined;
  if (backend !== 'sysfs') {
    const gpioset = await which(env, 'gpioset');
    if (!gpioset) checks.push({ id: 'gpio.tools', title: 'libgpiod tools', status: missing, detail: 'gpioset not found on PATH', fix: 'sudo apt-get install -y gpiod' });
    else {
      const r = await env.run(gpioset, ['--version'], { timeoutMs: 5000 });
      major = parseLibgpiodMajor(`${r.stdout}\n${r.stderr}`);
      if (major === 1 || major === 2) {
        const how = major === 1 ? 'v1: gpioset CHIP OFFSET=V, exits unless --mode=signal' : 'v2: gpioset -c CHIP OFFSET=V or by line name, holds the line until killed';
        checks.push({ id: 'gpio.tools', title: 'libgpiod tools', status: 'ok', detail: `${gpioset} is libgpiod ${how}` });
      } else {
        checks.push({
          id: 'gpio.tools',
          title: 'libgpiod tools',
          status: missing,
          detail: `cannot tell the libgpiod version from \`${gpioset} --version\`: ${JSON.stringify((r.stdout || r.stderr).trim().slice(0, 120))}`,
          fix: 'sudo apt-get install --reinstall -y gpiod',
        });
      }
    }
  }

  if (backend === 'sysfs') {
    const exportFile = under(env, '/sys/class/gpio/export');
    const deprecation = 'sysfs GPIO is deprecated and numbers lines base + offset (512 on Pi 4-class kernels, 571 on a Pi 5)';
    if (!(await exists(exportFile))) {
      checks.push({
        id: 'gpio.sysfs',
        title: 'sysfs GPIO',
        status: 'fail',
        detail: '/sys/class/gpio/export does not exist (kernel without CONFIG_GPIO_SYSFS)',
        fix: 'set gpio.backend: libgpiod in the rig file, and: sudo apt-get install -y gpiod',
      });
    } else if (!(await env.access(exportFile, 'w'))) {
      checks.push({ id: 'gpio.sysfs', title: 'sysfs GPIO', status: 'fail', detail: `${env.user || `uid ${env.uid}`} cannot write /sys/class/gpio/export`, fix: await accessFix(env, exportFile) });
    } else {
      checks.push({
        id: 'gpio.sysfs',
        title: 'sysfs GPIO',
        status: 'warn',
        detail: `/sys/class/gpio/export is writable, but ${deprecation}`,
        fix: 'set gpio.backend: libgpiod in the rig file (lines by chip label + offset or by name)',
      });
    }
  }

  if (gpio) checks.push(...(await pinChecks(env, gpio.pins, chips, major)));
  return checks;
}

type Pins = NonNullable<NonNullable<CheckContext['rig']>['gpio']>['pins'];

async function pinChecks(env: DoctorEnv, pins: Pins, chips: GpioChip[], major: number | undefined): Promise<Check[]> {
  const checks: Check[] = [];
  const labels = chips.map((c) => c.label ?? c.name);
  for (const [name, pin] of Object.entries(pins)) {
    const id = `gpio.pin:${name}`;
    const title = `GPIO pin ${name}`;
    if (pin.line !== undefined) {
      checks.push({ id, title, ...(await lineByName(env, pin.line, major)) });
      continue;
    }
    const chip = chips.find((c) => c.name === pin.chip || c.label === pin.chip);
    const where = `${pin.chip} offset ${pin.offset}`;
    if (!chip) {
      checks.push({
        id,
        title,
        status: 'fail',
        detail: `no chip ${JSON.stringify(pin.chip)} here${chips.length ? ` (chips: ${chips.map((c) => `${c.name} [${c.label ?? '?'}]`).join(', ')})` : ''}`,
        fix: chips.length ? `set gpio.pins.${name}.chip to one of: ${[...new Set(labels)].join(', ')}` : 'run hil on the Pi the rig is wired to',
      });
    } else if (chip.lines !== undefined && (pin.offset ?? 0) >= chip.lines) {
      checks.push({
        id,
        title,
        status: 'fail',
        detail: `${where}: ${chip.name} has only ${chip.lines} lines (0-${chip.lines - 1})`,
        fix: `set gpio.pins.${name}.offset to the line number on ${chip.label ?? chip.name} (BCM number on the Pi header chip)`,
      });
    } else if (/^gpiochip\d+$/.test(pin.chip ?? '') && chip.label && chip.label !== chip.name) {
      // The Pi 5 moved its header chip from gpiochip4 to gpiochip0 with a kernel update.
      checks.push({ id, title, status: 'warn', detail: `${where} is ${chip.label}, but chip numbers change between kernels`, fix: `set gpio.pins.${name}.chip: ${chip.label}` });
    } else {
      checks.push({ id, title, status: 'ok', detail: `${where} -> ${chip.name} [${chip.label ?? 'no label'}]` });
    }
  }
  return checks;
}

/** A line name resolves through gpiofind (v1) or gpioinfo NAME (v2); without either it is unchecked. */
async function lineByName(env: DoctorEnv, line: string, major: number | undefined): Promise<Pick<Check, 'status' | 'detail' | 'fix'>> {
  const tool = major === 1 ? await which(env, 'gpiofind') : major === 2 ? await which(env, 'gpioinfo') : undefined;
  if (!tool) return { status: 'warn', detail: `line ${JSON.stringify(line)} not checked: no libgpiod tools to resolve names`, fix: 'sudo apt-get install -y gpiod' };
  const r = await env.run(tool, [line], { timeoutMs: 5000 });
  const found = r.exitCode === 0 ? /(gpiochip\d+)\s+(\d+)/.exec(r.stdout) : null;
  if (found) return { status: 'ok', detail: `line ${JSON.stringify(line)} -> ${found[1]} offset ${found[2]}` };
  return { status: 'fail', detail: `no line named ${JSON.stringify(line)} on any chip`, fix: 'gpioinfo   # lists every line name; use one of them, or chip: + offset:' };
}
