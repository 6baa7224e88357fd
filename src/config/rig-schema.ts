/**
 * The rig file (`rigs/NAME.yaml`): one bench, its target, boot scheme and the driver bound to each
 * capability. Driver-specific keys are checked per driver (a tagged mapping on `driver`); the
 * rules that span sections (scheme fits target, twin drivers need a `twin:` section, known twin
 * variants, a pty twin runs on the wall clock) are in `rigCrossIssues`, run on the raw document
 * so they are reported together with every other problem.
 */
import { z } from 'zod';
import { openOcdProbeIssues } from '../protocols/openocd/words.js';
import type { PathIssue } from './errors.js';
import { bool, expected, int, mapping, num, oneOf, str, tagged } from './fields.js';
import { MAX_BAUD, MAX_OFF_MS, MAX_SEED, MAX_SETTLE_MS, MAX_TIME_FACTOR, MAX_WAIT_MS } from './limits.js';
import { DEFAULT_STABLE_MS } from './stable-rule.js';
import { DEFAULT_VARIANTS, SCHEME_TARGET, SCHEME_UPDATERS, SCHEMES, TARGETS, type Scheme, type Target, type VariantLists } from './vocabulary.js';

const twinSection = mapping({
  /** Bootloader variant of the twin: `correct` or a seeded bug. */
  variant: str().default('correct'),
  /** 0 = virtual time (no real waiting); 1 = real time. */
  timeFactor: num({ min: 0, max: MAX_TIME_FACTOR }).default(0),
  /** What a cut does to a flash operation in progress. */
  powerLoss: oneOf(['skip', 'complete', 'torn', 'random']).default('random'),
  seed: int({ min: 0, max: MAX_SEED }).default(1),
  transport: oneOf(['in-process', 'pty']).default('in-process'),
  /** Wire rate the twin models on its console. */
  paceBaud: int({ above: 0, max: MAX_BAUD }).default(921600),
  /** Chance per SRAM bit that a brownout which trips only the BOR (power.sag) flips it; twins whose programs share RAM read it (default 0.001). */
  sramFlipRate: num({ min: 0, max: 1 }).optional(),
  /**
   * What resets the board after its app crashes: the watchdog (SRAM kept), a power cut (the
   * supply collapses or a supervisor cycles it: POR, SRAM lost) or a brownout (BOR only, SRAM
   * kept). Twins whose programs keep state in SRAM read it (default watchdog).
   */
  crashReset: oneOf(['watchdog', 'power-cut', 'brownout']).optional(),
});

/**
 * A cut shaped as a sag to `volts` (held for the cut's off time) instead of output off. On a
 * supply it is what the supply does; on the twin it is a brownout: above the MCU's power-on reset
 * threshold it trips only the brown-out reset, and SRAM keeps its contents (with a chance of flips).
 */
const sag = mapping({ volts: num({ min: 0 }), rampMs: num({ min: 0, max: MAX_SETTLE_MS }).default(0), steps: int({ above: 0, max: 1000 }).default(1) });

const powerCommon = {
  /** Default off time of a cut. */
  offMs: num({ min: 0, max: MAX_OFF_MS }).default(200),
  /** Power state the rig is left in on any exit. */
  safeState: oneOf(['on', 'off']).default('off'),
  /** A cut never keeps the target unpowered for less than this (its rails must fall below power-on reset). */
  minOffMs: num({ min: 0, max: MAX_OFF_MS }).optional(),
};

const level = z.union([z.literal(0), z.literal(1)], { error: expected('0 or 1') });

/**
 * One GPIO line of the rig, by chip + offset or by line name, never by a global number (the
 * Pi kernels moved the header chip's base to 512/571, and the Pi 5 renamed it). Levels are
 * logical: 1 = asserted; `activeLow` inverts on the wire.
 */
const gpioPin = mapping({
  /** Chip label or device name (`gpiochip0`, `pinctrl-rp1`, `pinctrl-bcm2711`), with offset:. */
  chip: str().optional(),
  offset: int({ min: 0, max: 65535 }).optional(),
  /** Line name instead of chip + offset (`GPIO17`). */
  line: str().optional(),
  direction: oneOf(['out', 'in']).default('out'),
  activeLow: bool().default(false),
  /** Level driven on every exit (and, unless `initial:` says otherwise, from the start). */
  safe: level.default(0),
  initial: level.optional(),
  /** Inputs only: the edges reported (the marker trigger). */
  edge: oneOf(['rising', 'falling', 'both']).optional(),
});

export const PIN_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

const gpioSection = mapping({
  /** libgpiod tools (gpioset/gpiomon, v1 or v2 detected) or the sysfs interface through onoff. */
  backend: oneOf(['libgpiod', 'sysfs']).default('libgpiod'),
  /** Label the lines carry in gpioinfo while hil owns them. */
  consumer: str().default('hil'),
  pins: z.record(z.string(), gpioPin, {
    error: expected('a mapping of pin names'),
  }),
});

const power = tagged('driver', [
  { driver: z.literal('twin'), ...powerCommon, sag: sag.optional() },
  {
    driver: z.literal('relay'),
    ...powerCommon,
    /** The gpio pin that switches the relay. */
    pin: str(),
    /** Logical pin level that powers the target: 1 = relay energised (target on NO, off when the Pi is). */
    poweredLevel: level.default(1),
    onSettleMs: num({ min: 0, max: MAX_SETTLE_MS }).default(20),
    offSettleMs: num({ min: 0, max: MAX_SETTLE_MS }).default(20),
  },
  {
    driver: z.literal('uhubctl'),
    ...powerCommon,
    /** Hub location as uhubctl names it (`-l`), e.g. `1-1`. */
    hub: str(),
    port: int({ min: 1, max: 255 }),
    binary: str().default('uhubctl'),
  },
  {
    driver: z.literal('supply'),
    ...powerCommon,
    /** Korad KA3005P-style or SCPI, over a serial port. */
    protocol: oneOf(['korad', 'scpi']),
    port: str(),
    baud: int({ above: 0, max: MAX_BAUD }).default(9600),
    channel: int({ min: 1, max: 255 }).default(1),
    volts: num({ above: 0 }),
    amps: num({ above: 0 }),
    /** Refuses a volts: above this (a 33 typed for 3.3 must not reach the board). */
    maxVolts: num({ above: 0 }).optional(),
    /** Cuts become a sag to `volts` (held for the cut's off time) instead of output off. */
    sag: sag.optional(),
  },
]);

const consoleCommon = {
  baud: int({ above: 0, max: MAX_BAUD }).default(921600),
  /** What Enter sends in `hil console`. */
  lineEnding: oneOf(['lf', 'crlf', 'cr']).default('lf'),
  /** How long to wait for the port to come back after it vanishes (USB re-enumeration after a cut). */
  reconnectMs: num({ min: 0, max: MAX_WAIT_MS }).default(10000),
};

const consoleSection = tagged('driver', [
  { driver: z.literal('twin'), ...consoleCommon },
  { driver: z.literal('serial'), ...consoleCommon, /** Prefer a /dev/serial/by-id/ path. */ port: str() },
  /** ser2net (raw TCP) on another host. */
  { driver: z.literal('tcp'), ...consoleCommon, host: str(), port: int({ min: 1, max: 65535 }) },
]);

/**
 * sfu: reset into the SFU bootloader and upload over the console UART; sfu-app: upload to the
 * running app, which speaks the STM32F4 SFU command set; probe: write the inactive slot and the
 * scheme's pending mark through the probe, then reset. Which a scheme allows is in its meta.ts.
 */
const updater = tagged('driver', [{ driver: z.literal('sfu') }, { driver: z.literal('sfu-app') }, { driver: z.literal('probe') }]);

/** Which update paths exist for each scheme (from the scheme registry). */
export { SCHEME_UPDATERS };

const probe = tagged('driver', [
  { driver: z.literal('twin') },
  {
    driver: z.literal('openocd'),
    /** Extra OpenOCD config files (`-f`): custom boards, the dummy-adapter test target. */
    configs: z.array(str(), { error: (issue) => (issue.input === undefined ? 'required' : 'expected a list of file names') }).default([]),
    /** Interface config (`interface/cmsis-dap.cfg`); default per target. */
    interface: str().optional(),
    /** Target config (`target/stm32f4x.cfg`); default per target. */
    target: str().optional(),
    /** Picks one probe when several are attached (`adapter serial`). */
    adapterSerial: str().optional(),
    adapterSpeedKhz: int({ above: 0, max: 1_000_000 }).optional(),
    /** Per openocd run. */
    timeoutMs: num({ above: 0, max: MAX_WAIT_MS }).default(60000),
    binary: str().default('openocd'),
  },
]);

/** Reset through a pin (a pulse) instead of a short power cycle. */
const reset = mapping({ pin: str(), pulseMs: num({ above: 0, max: MAX_SETTLE_MS }).default(50) });

/** The input the firmware pulses at every flash operation: `marker:N+delay` cuts count its edges. */
const marker = mapping({ pin: str() });

/**
 * When the application counts as stable and clears the boot counter (seed 001: a timer, or a
 * console command such as its `mark_stable`): `afterMs:` of running, or `command:` — the line the
 * host sends after the banner. Exactly one of them (rigCrossIssues).
 */
export { DEFAULT_STABLE_MS, stableRule, type StableRule } from './stable-rule.js';

const stable = mapping({ afterMs: num({ min: 0, max: MAX_WAIT_MS }).optional(), command: str().optional() });

const boot = mapping({ timeoutMs: num({ above: 0, max: MAX_WAIT_MS }).default(5000), stable: stable.optional() });

/**
 * The board on the rig, for history and sign-off inventories: history is keyed by rig name + board
 * serial, so a board moved to another Pi (another rig file, same serial) keeps its history.
 */
const board = mapping({ serial: str().optional(), label: str().optional() });

export const rigSchema = mapping({
  name: str().optional(),
  description: z.string({ error: expected('a string') }).optional(),
  target: oneOf(TARGETS),
  scheme: oneOf(SCHEMES),
  /** Present = the device is the built-in twin. `twin:` alone means all defaults. */
  twin: z.preprocess((value) => (value === null ? {} : value), twinSection).optional(),
  power,
  console: consoleSection,
  updater,
  probe: probe.optional(),
  gpio: gpioSection.optional(),
  reset: reset.optional(),
  marker: marker.optional(),
  boot: boot.default({ timeoutMs: 5000 }),
  board: board.optional(),
});

type RigFields = z.output<typeof rigSchema>;

/** A validated rig, as loaded from its file. */
export type RigConfig = Omit<RigFields, 'name'> & {
  /** Absolute path of the rig file. */
  file: string;
  /** `name:` or the file's basename without `.yaml`. */
  name: string;
  target: Target;
  scheme: Scheme;
};
export type TwinConfig = NonNullable<RigFields['twin']>;
export type PowerConfig = RigFields['power'];
export type ConsoleConfig = RigFields['console'];
export type UpdaterConfig = RigFields['updater'];
export type ProbeConfig = NonNullable<RigFields['probe']>;
export type BootConfig = RigFields['boot'];
export type SagConfig = NonNullable<Extract<PowerConfig, { driver: 'twin' }>['sag']>;
export type GpioConfig = NonNullable<RigFields['gpio']>;
export type GpioPinConfig = GpioConfig['pins'][string];
export type ResetConfig = NonNullable<RigFields['reset']>;
export type MarkerConfig = NonNullable<RigFields['marker']>;
export type BoardConfig = NonNullable<RigFields['board']>;

export interface RigOptions {
  /** Twin bootloader variants allowed per scheme (merged over DEFAULT_VARIANTS). */
  variants?: VariantLists;
}

const TWIN_CAPABLE = ['power', 'console', 'probe'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOneOf<T extends string>(value: unknown, values: readonly T[]): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

/** Rules between sections, checked on the raw document wherever the fields involved are valid. */
export function rigCrossIssues(raw: Record<string, unknown>, options: RigOptions = {}): PathIssue[] {
  const issues: PathIssue[] = [];
  const { target, scheme, twin } = raw;

  if (isOneOf(target, TARGETS) && isOneOf(scheme, SCHEMES) && SCHEME_TARGET[scheme] !== target) {
    issues.push({ path: ['scheme'], message: `scheme ${scheme} needs target ${SCHEME_TARGET[scheme]}, but target is ${target}` });
  }

  const drivers = TWIN_CAPABLE.filter((section) => raw[section] !== undefined).map((section) => ({
    section,
    driver: isRecord(raw[section]) ? raw[section].driver : undefined,
  }));
  const twinDrivers = drivers.filter((d) => d.driver === 'twin').map((d) => `${d.section}.driver`);
  if (twinDrivers.length > 0 && twin === undefined) {
    const verb = twinDrivers.length === 1 ? 'is' : 'are';
    issues.push({ path: ['twin'], message: `required because ${twinDrivers.join(' and ')} ${verb} twin` });
  }
  const allDriversKnown = drivers.every((d) => typeof d.driver === 'string');
  if (twin !== undefined && twinDrivers.length === 0 && allDriversKnown) {
    issues.push({ path: ['twin'], message: 'a twin section needs at least one driver set to twin (power, console or probe)' });
  }

  if (isRecord(twin) && twin.transport === 'pty' && (twin.timeFactor === undefined || twin.timeFactor === 0)) {
    issues.push({ path: ['twin', 'transport'], message: 'pty needs twin.timeFactor > 0 (a pty runs on the wall clock)' });
  }

  const updaterDriver = isRecord(raw.updater) ? raw.updater.driver : undefined;
  if (isOneOf(scheme, SCHEMES) && typeof updaterDriver === 'string' && ['sfu', 'sfu-app', 'probe'].includes(updaterDriver)) {
    if (!SCHEME_UPDATERS[scheme].includes(updaterDriver)) {
      issues.push({ path: ['updater', 'driver'], message: `${scheme} updates through ${SCHEME_UPDATERS[scheme].join(' or ')}, not ${updaterDriver}` });
    }
    if (updaterDriver === 'probe' && raw.probe === undefined) {
      issues.push({ path: ['probe'], message: 'required because updater.driver is probe' });
    }
  }

  issues.push(...stableIssues(raw));
  issues.push(...gpioIssues(raw));
  // openocd reads -f files and image names as TCL: a value that would run as TCL is a config error
  // here, with its line, as well as a refusal in the argv builders whatever the config says.
  if (isRecord(raw.probe) && raw.probe.driver === 'openocd') {
    for (const i of openOcdProbeIssues(raw.probe)) {
      if (i.path[0] === 'adapterSpeedKhz' || i.message.startsWith('expected a string')) continue; // the schema reports these
      issues.push({ path: ['probe', ...i.path], message: i.message });
    }
  }

  const variants = { ...DEFAULT_VARIANTS, ...options.variants };
  if (isRecord(twin) && typeof twin.variant === 'string' && isOneOf(scheme, SCHEMES)) {
    const known = variants[scheme];
    if (known && !known.includes(twin.variant)) {
      issues.push({ path: ['twin', 'variant'], message: `expected one of ${known.join(', ')} (variants of ${scheme}), got ${JSON.stringify(twin.variant)}` });
    }
  }
  return issues;
}

/** boot.stable names one rule: a delay or a command, never both, never neither. */
function stableIssues(raw: Record<string, unknown>): PathIssue[] {
  const stableRule = isRecord(raw.boot) ? raw.boot.stable : undefined;
  // An unknown key (a misspelt afterMs) is reported by the schema, and is the only problem then.
  if (!isRecord(stableRule) || Object.keys(stableRule).some((key) => key !== 'afterMs' && key !== 'command')) return [];
  const hasDelay = stableRule.afterMs !== undefined;
  const hasCommand = stableRule.command !== undefined;
  if (hasDelay && hasCommand) return [{ path: ['boot', 'stable', 'command'], message: 'give either afterMs: (a delay) or command: (a console line), not both' }];
  if (!hasDelay && !hasCommand)
    return [{ path: ['boot', 'stable'], message: `needs afterMs: (the app is stable after running that long) or command: (a console line the host sends); default afterMs: ${DEFAULT_STABLE_MS}` }];
  return [];
}

/** Pins: each line named one way, declared once, and every pin a driver uses exists as an output. */
function gpioIssues(raw: Record<string, unknown>): PathIssue[] {
  const issues: PathIssue[] = [];
  const pins = isRecord(raw.gpio) && isRecord(raw.gpio.pins) ? raw.gpio.pins : undefined;
  const seen = new Map<string, string>();
  for (const [name, pin] of Object.entries(pins ?? {})) {
    if (!PIN_NAME.test(name)) issues.push({ path: ['gpio', 'pins', name], message: 'pin names are letters, digits and _ (they are typed as NAME=level on the command line)' });
    if (!isRecord(pin)) continue;
    const byName = pin.line !== undefined;
    const byChip = pin.chip !== undefined || pin.offset !== undefined;
    if (byName && byChip) issues.push({ path: ['gpio', 'pins', name, 'line'], message: 'give either line: (a line name) or chip: + offset:, not both' });
    else if (!byName && !byChip) issues.push({ path: ['gpio', 'pins', name], message: 'needs line: (a line name such as GPIO17) or chip: + offset:' });
    else if (byChip && (pin.chip === undefined || pin.offset === undefined)) {
      const message = pin.chip === undefined ? 'offset: needs chip: too (gpiochip0, pinctrl-rp1, ...)' : 'chip: needs offset: too (the line number on that chip)';
      issues.push({ path: ['gpio', 'pins', name, pin.chip === undefined ? 'offset' : 'chip'], message });
    }
    if (pin.edge !== undefined && pin.direction !== 'in') issues.push({ path: ['gpio', 'pins', name, 'edge'], message: 'only inputs (direction: in) report edges' });
    const key = byName ? `line ${String(pin.line)}` : `${String(pin.chip)} offset ${String(pin.offset)}`;
    const other = seen.get(key);
    if (other !== undefined && !(byName && byChip)) issues.push({ path: ['gpio', 'pins', name], message: `${key} is already pin ${other}` });
    else seen.set(key, name);
  }
  const uses: { path: string[]; pin: unknown; what: string }[] = [];
  if (isRecord(raw.power) && raw.power.driver === 'relay') uses.push({ path: ['power', 'pin'], pin: raw.power.pin, what: 'the relay' });
  if (isRecord(raw.reset)) uses.push({ path: ['reset', 'pin'], pin: raw.reset.pin, what: 'reset' });
  const used = new Map<string, string>();
  if (isRecord(raw.marker)) {
    const name = raw.marker.pin;
    const pin = typeof name === 'string' && pins ? pins[name] : undefined;
    if (typeof name === 'string' && !pins) issues.push({ path: ['marker', 'pin'], message: `pin ${JSON.stringify(name)} needs a gpio: section that declares it` });
    else if (typeof name === 'string' && pin === undefined) issues.push({ path: ['marker', 'pin'], message: `no pin ${JSON.stringify(name)} in gpio.pins` });
    else if (isRecord(pin) && pin.direction !== 'in') issues.push({ path: ['marker', 'pin'], message: `pin ${String(name)} is the marker input, so it needs direction: in` });
  }
  for (const u of uses) {
    if (typeof u.pin !== 'string') continue;
    if (!pins) {
      issues.push({ path: u.path, message: `pin ${JSON.stringify(u.pin)} needs a gpio: section that declares it` });
      continue;
    }
    const pin = pins[u.pin];
    if (pin === undefined) {
      const names = Object.keys(pins);
      issues.push({ path: u.path, message: `no pin ${JSON.stringify(u.pin)} in gpio.pins${names.length ? ` (declared: ${names.join(', ')})` : ''}` });
    } else if (isRecord(pin) && pin.direction === 'in') {
      issues.push({ path: u.path, message: `pin ${u.pin} drives ${u.what}, so it must be an output (it says direction: in)` });
    }
    if (u.what === 'the relay' && isRecord(pin) && isRecord(raw.power)) {
      // On a crash only the pin's safe level is left driven: it must agree with power.safeState.
      const powered = raw.power.poweredLevel ?? 1;
      const safeLevel = pin.safe ?? 0;
      const safeState = raw.power.safeState ?? 'off';
      if ((safeLevel === powered) !== (safeState === 'on')) {
        issues.push({
          path: ['gpio', 'pins', u.pin, 'safe'],
          message: `safe level ${String(safeLevel)} leaves the board ${safeLevel === powered ? 'powered' : 'unpowered'} (poweredLevel ${String(powered)}), but power.safeState is ${String(safeState)}`,
        });
      }
    }
    const prior = used.get(u.pin);
    if (prior !== undefined) issues.push({ path: u.path, message: `pin ${u.pin} already drives ${prior}` });
    used.set(u.pin, u.what);
  }
  return issues;
}
