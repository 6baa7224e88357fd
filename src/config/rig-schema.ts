/**
 * The rig file (`rigs/NAME.yaml`): one bench, its target, boot scheme and the driver bound to each
 * capability. Driver-specific keys are checked per driver (a tagged mapping on `driver`); the
 * rules that span sections (scheme fits target, twin drivers need a `twin:` section, known twin
 * variants, a pty twin runs on the wall clock) are in `rigCrossIssues`, run on the raw document
 * so they are reported together with every other problem.
 */
import { z } from 'zod';
import { openOcdProbeIssues } from '../protocols/openocd/words.js';
import { findScheme } from '../schemes/meta-registry.js';
import { closest } from './did-you-mean.js';
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
const updater = tagged('driver', [
  { driver: z.literal('sfu') },
  { driver: z.literal('sfu-app') },
  { driver: z.literal('probe') },
  /**
   * fota: the rig is the product's "cloud": it offers the update to the host MCU over its console and
   * serves the chunks it asks for (src/drivers/updater/fota/).
   */
  {
    driver: z.literal('fota'),
    /** How long the device may take to accept (or refuse) the offered package. */
    acceptMs: num({ above: 0, max: MAX_WAIT_MS }).default(10000),
    /** How long the device may stay silent (no fota line) before the update counts as stalled. */
    quietMs: num({ above: 0, max: MAX_WAIT_MS }).default(60000),
  },
]);

/** The update paths the drivers implement; a scheme's meta lists which of them it allows. */
const UPDATER_DRIVERS = ['sfu', 'sfu-app', 'probe', 'fota'];

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

/**
 * One processor of a product rig (`mcus.NAME`): its target, the boot scheme it runs itself (MCUboot on
 * each side of a two-MCU product), its own console, probe and reset line. The product's power, updater
 * and twin are the rig's.
 */
const mcuSection = mapping({
  target: oneOf(TARGETS),
  /** The MCU's own boot scheme (`mcuboot-swap`); the rig's `scheme:` is the product's. */
  scheme: oneOf(SCHEMES),
  console: consoleSection,
  probe: probe.optional(),
  reset: reset.optional(),
});

/**
 * The reader of the shared SPI NOR on a bench: flashrom through the Pi's SPI controller, with every
 * MCU held in reset so that their SPI pins float (src/drivers/flasher/flashrom.ts).
 */
const flashReader = tagged('driver', [
  {
    driver: z.literal('flashrom'),
    /** flashrom's `-p` (`linux_spi:dev=/dev/spidev0.0,spispeed=8000`). */
    programmer: str(),
    /** flashrom's `-c`, when it cannot tell the part from its JEDEC ID alone. */
    chip: str().optional(),
    binary: str().default('flashrom'),
    /** Per flashrom run. */
    timeoutMs: num({ above: 0, max: MAX_WAIT_MS }).default(60000),
  },
]);

/** What the processors of a product share: the SPI NOR, the GPIO lock line on its bus, the UART between them. */
const sharedSection = mapping({
  flash: mapping({
    /** The part (`W25Q32JV`), for reports and the reader. */
    part: str(),
    sizeMiB: num({ above: 0, max: 256 }),
    reader: flashReader.optional(),
  }).optional(),
  /** The GPIO line the MCUs pull low while one of them owns the SPI bus; on a bench the rig watches it (an input pin). */
  lock: mapping({ pin: str().optional() }).optional(),
  link: mapping({ baud: int({ above: 0, max: MAX_BAUD }).default(115200) }).optional(),
});

/** Member names are typed on command lines and printed as `radio| text` console prefixes. */
export const MEMBER_NAME = /^[a-z][a-z0-9_-]*$/;

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
  /** Required, except on a product rig (`mcus:`), whose target is its scheme's (the host MCU's). */
  target: oneOf(TARGETS).optional(),
  scheme: oneOf(SCHEMES),
  /** Present = the device is the built-in twin. `twin:` alone means all defaults. */
  twin: z.preprocess((value) => (value === null ? {} : value), twinSection).optional(),
  power,
  /** Required, except on a product rig: there each MCU has its own (mcus.NAME.console). */
  console: consoleSection.optional(),
  updater,
  /** A product with several processors behind one power switch, by member name (the scheme's members). */
  mcus: z.record(z.string(), mcuSection, { error: expected('a mapping of MCU names') }).optional(),
  shared: sharedSection.optional(),
  probe: probe.optional(),
  gpio: gpioSection.optional(),
  reset: reset.optional(),
  marker: marker.optional(),
  boot: boot.default({ timeoutMs: 5000 }),
  board: board.optional(),
});

type RigFields = z.output<typeof rigSchema>;

/** A validated rig, as loaded from its file. */
export type RigConfig = Omit<RigFields, 'name' | 'target' | 'console'> & {
  /** Absolute path of the rig file. */
  file: string;
  /** `name:` or the file's basename without `.yaml`. */
  name: string;
  /** On a product rig: the scheme's target (its host MCU's). */
  target: Target;
  scheme: Scheme;
  /**
   * The console the rig's `console` writes to. On a product rig: the host member's (the first in
   * the scheme's member order); the rig's console there merges every member's lines.
   */
  console: ConsoleConfig;
};
export type TwinConfig = NonNullable<RigFields['twin']>;
export type PowerConfig = RigFields['power'];
export type ConsoleConfig = NonNullable<RigFields['console']>;
export type McuConfig = NonNullable<RigFields['mcus']>[string];
export type SharedConfig = NonNullable<RigFields['shared']>;
export type FlashReaderConfig = NonNullable<NonNullable<SharedConfig['flash']>['reader']>;
export type FotaUpdaterConfig = Extract<RigFields['updater'], { driver: 'fota' }>;
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

/**
 * The processors a scheme's product has (its meta's `members`), in the scheme's order; undefined
 * for a scheme that runs one MCU.
 */
export function schemeMembers(scheme: string): readonly string[] | undefined {
  return findScheme(scheme)?.members?.map((m) => m.name);
}

/**
 * A product rig's member names in the scheme's order (the first is the host: the rig's console
 * writes to it, the updater talks to it), or the file's order where the scheme lists none.
 */
export function rigMembers(config: Pick<RigConfig, 'scheme' | 'mcus'>): string[] {
  const names = Object.keys(config.mcus ?? {});
  const order = schemeMembers(config.scheme);
  if (!order) return names;
  return [...order.filter((n) => names.includes(n)), ...names.filter((n) => !order.includes(n))];
}

/**
 * Fills what a product rig leaves to its members: the target is the scheme's (the host MCU's) and
 * `console` is the host member's. Schema and cross checks have passed, so single rigs have both.
 */
export function completeRigFields(fields: Omit<RigFields, 'name'>): Omit<RigConfig, 'file' | 'name'> {
  const host = fields.mcus ? fields.mcus[rigMembers(fields)[0]!] : undefined;
  const console = fields.console ?? host?.console;
  const target = (fields.target ?? SCHEME_TARGET[fields.scheme] ?? host?.target) as Target | undefined;
  if (!console || !target) throw new TypeError('completeRigFields: a rig without console or target passed validation');
  return { ...fields, target, console };
}

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

  issues.push(...productIssues(raw));
  const mcus = isRecord(raw.mcus) ? raw.mcus : {};
  const drivers = [
    ...TWIN_CAPABLE.filter((section) => raw[section] !== undefined).map((section) => ({
      section,
      driver: isRecord(raw[section]) ? raw[section].driver : undefined,
    })),
    ...Object.entries(mcus).flatMap(([name, mcu]) =>
      (['console', 'probe'] as const)
        .filter((part) => isRecord(mcu) && mcu[part] !== undefined)
        .map((part) => {
          const section = (mcu as Record<string, unknown>)[part];
          return { section: `mcus.${name}.${part}`, driver: isRecord(section) ? section.driver : undefined };
        }),
    ),
  ];
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
  if (isOneOf(scheme, SCHEMES) && typeof updaterDriver === 'string' && UPDATER_DRIVERS.includes(updaterDriver)) {
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
  const probes: [string[], unknown][] = [[['probe'], raw.probe], ...Object.entries(mcus).map(([name, mcu]): [string[], unknown] => [['mcus', name, 'probe'], isRecord(mcu) ? mcu.probe : undefined])];
  for (const [at, section] of probes) {
    if (!isRecord(section) || section.driver !== 'openocd') continue;
    for (const i of openOcdProbeIssues(section)) {
      if (i.path[0] === 'adapterSpeedKhz' || i.message.startsWith('expected a string')) continue; // the schema reports these
      issues.push({ path: [...at, ...i.path], message: i.message });
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

/**
 * A product rig (`mcus:`) against a single one: each has what the other must not, and the members
 * are the scheme's. Single rigs need target and console; a product rig names them per member.
 */
function productIssues(raw: Record<string, unknown>): PathIssue[] {
  const issues: PathIssue[] = [];
  const { scheme, mcus } = raw;
  const members = isOneOf(scheme, SCHEMES) ? schemeMembers(scheme) : undefined;
  if (mcus === undefined) {
    if (raw.target === undefined) issues.push({ path: ['target'], message: 'required' });
    if (raw.console === undefined) issues.push({ path: ['console'], message: 'required' });
    if (members) issues.push({ path: ['mcus'], message: `required: ${String(scheme)} is a product of ${members.join(' and ')} (one entry each under mcus:)` });
    if (raw.shared !== undefined) issues.push({ path: ['shared'], message: 'only on a product rig (one with mcus:): the parts its processors share' });
    return issues;
  }
  for (const part of ['console', 'probe', 'reset'] as const) {
    if (raw[part] !== undefined) issues.push({ path: [part], message: `not allowed with mcus: (each MCU has its own, under mcus.NAME.${part})` });
  }
  if (!isRecord(mcus)) return issues;
  const names = Object.keys(mcus);
  if (names.length === 0) issues.push({ path: ['mcus'], message: 'expected at least one MCU' });
  for (const name of names) {
    if (!MEMBER_NAME.test(name)) issues.push({ path: ['mcus', name], message: 'MCU names are lower-case letters, digits, - and _ (console lines are prefixed with them)' });
  }
  if (!isOneOf(scheme, SCHEMES)) return issues;
  if (!members) {
    // Until every product scheme's meta lists its members, a scheme without them is not refused.
    const anyProduct = SCHEMES.some((s) => schemeMembers(s) !== undefined);
    if (anyProduct) issues.push({ path: ['mcus'], message: `scheme ${scheme} runs one MCU: mcus: is for product schemes` });
    return issues;
  }
  for (const name of names) {
    if (members.includes(name)) continue;
    const hint = closest(
      name,
      members.filter((m) => !names.includes(m)),
    );
    issues.push({ path: ['mcus', name], message: `not a member of ${scheme} (its members: ${members.join(', ')})${hint ? ` (did you mean "${hint}"?)` : ''}` });
  }
  for (const m of findScheme(scheme)?.members ?? []) {
    const mcu = mcus[m.name];
    if (isRecord(mcu) && isOneOf(mcu.target, TARGETS) && mcu.target !== m.target) {
      issues.push({ path: ['mcus', m.name, 'target'], message: `${m.name} of ${scheme} is an ${m.target}, not ${mcu.target}` });
    }
  }
  const missing = members.filter((m) => !names.includes(m));
  if (missing.length > 0) issues.push({ path: ['mcus'], message: `missing ${missing.join(' and ')} (${scheme}'s members: ${members.join(', ')})` });
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
  for (const [name, mcu] of Object.entries(isRecord(raw.mcus) ? raw.mcus : {})) {
    if (isRecord(mcu) && isRecord(mcu.reset)) uses.push({ path: ['mcus', name, 'reset', 'pin'], pin: mcu.reset.pin, what: `the reset of ${name}` });
  }
  const reader = isRecord(raw.shared) && isRecord(raw.shared.flash) ? raw.shared.flash.reader : undefined;
  if (reader !== undefined && isRecord(raw.mcus)) {
    // The Pi can only master the shared bus while no MCU drives it: each one is held in reset then.
    const unheld = Object.entries(raw.mcus).filter(([, mcu]) => isRecord(mcu) && mcu.reset === undefined);
    if (unheld.length > 0) {
      issues.push({
        path: ['shared', 'flash', 'reader'],
        message: `needs a reset: pin on every MCU (held while the Pi reads the shared flash), missing on ${unheld.map(([n]) => `mcus.${n}`).join(' and ')}`,
      });
    }
  }
  const lock = isRecord(raw.shared) && isRecord(raw.shared.lock) ? raw.shared.lock.pin : undefined;
  if (typeof lock === 'string') {
    // The MCUs drive the lock line; a rig that drove it too would take the bus from under them.
    const pin = pins?.[lock];
    if (!pins) issues.push({ path: ['shared', 'lock', 'pin'], message: `pin ${JSON.stringify(lock)} needs a gpio: section that declares it` });
    else if (pin === undefined) issues.push({ path: ['shared', 'lock', 'pin'], message: `no pin ${JSON.stringify(lock)} in gpio.pins` });
    else if (isRecord(pin) && pin.direction !== 'in')
      issues.push({ path: ['shared', 'lock', 'pin'], message: `pin ${lock} is the lock line the MCUs drive, so the rig only watches it: direction: in` });
  }
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
