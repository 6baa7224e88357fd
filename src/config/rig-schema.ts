/**
 * The rig file (`rigs/NAME.yaml`): one bench, its target, boot scheme and the driver bound to each
 * capability. Driver-specific keys are checked per driver (a tagged mapping on `driver`); the
 * rules that span sections (scheme fits target, twin drivers need a `twin:` section, known twin
 * variants, a pty twin runs on the wall clock) are in `rigCrossIssues`, run on the raw document
 * so they are reported together with every other problem.
 */
import { z } from 'zod';
import type { PathIssue } from './errors.js';
import { bool, expected, int, mapping, num, oneOf, str, tagged, union } from './fields.js';
import { DEFAULT_VARIANTS, SCHEME_TARGET, SCHEMES, TARGETS, type Scheme, type Target, type VariantLists } from './vocabulary.js';

const twinSection = mapping({
  /** Bootloader variant of the twin: `correct` or a seeded bug. */
  variant: str().default('correct'),
  /** 0 = virtual time (no real waiting); 1 = real time. */
  timeFactor: num({ min: 0 }).default(0),
  /** What a cut does to a flash operation in progress. */
  powerLoss: oneOf(['skip', 'complete', 'torn', 'random']).default('random'),
  seed: int({ min: 0 }).default(1),
  transport: oneOf(['in-process', 'pty']).default('in-process'),
  /** Wire rate the twin models on its console. */
  paceBaud: int({ above: 0 }).default(921600),
});

const powerCommon = {
  /** Default off time of a cut. */
  offMs: num({ min: 0 }).default(200),
  /** Power state the rig is left in on any exit. */
  safeState: oneOf(['on', 'off']).default('off'),
};

const power = tagged('driver', [
  { driver: z.literal('twin'), ...powerCommon },
  {
    driver: z.literal('relay'),
    ...powerCommon,
    /** GPIO chip, e.g. `gpiochip0`. */
    chip: str(),
    /** Line offset on the chip, or its name. */
    line: union([int({ min: 0 }), str()], 'an integer >= 0 or a line name'),
    activeLow: bool().default(false),
  },
  {
    driver: z.literal('uhubctl'),
    ...powerCommon,
    /** Hub location as uhubctl names it (`-l`), e.g. `1-1`. */
    hub: str(),
    port: int({ min: 1 }),
  },
]);

const consoleCommon = { baud: int({ above: 0 }).default(921600) };

const consoleSection = tagged('driver', [
  { driver: z.literal('twin'), ...consoleCommon },
  { driver: z.literal('serial'), ...consoleCommon, /** Prefer a /dev/serial/by-id/ path. */ port: str() },
]);

/**
 * sfu: reset into the SFU bootloader and upload over the console UART (sfu-ab); sfu-app: upload to
 * the running app, which speaks the STM32F4 SFU command set (stm32-dualbank); probe: write the
 * inactive slot and the scheme's pending mark through the probe, then reset (mcuboot-swap,
 * stm32-dualbank).
 */
const updater = tagged('driver', [{ driver: z.literal('sfu') }, { driver: z.literal('sfu-app') }, { driver: z.literal('probe') }]);

/** Which update paths exist for each scheme. */
export const SCHEME_UPDATERS: Readonly<Record<Scheme, readonly string[]>> = {
  'sfu-ab': ['sfu'],
  'stm32-dualbank': ['sfu-app', 'probe'],
  'mcuboot-swap': ['probe'],
};

const probe = tagged('driver', [
  { driver: z.literal('twin') },
  {
    driver: z.literal('openocd'),
    /** Extra OpenOCD config files (`-f`). */
    configs: z.array(str(), { error: (issue) => (issue.input === undefined ? 'required' : 'expected a list of file names') }).default([]),
    interface: str().optional(),
    target: str().optional(),
    adapterSerial: str().optional(),
  },
]);

const boot = mapping({ timeoutMs: num({ above: 0 }).default(5000) });

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
  boot: boot.default({ timeoutMs: 5000 }),
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

  const variants = { ...DEFAULT_VARIANTS, ...options.variants };
  if (isRecord(twin) && typeof twin.variant === 'string' && isOneOf(scheme, SCHEMES)) {
    const known = variants[scheme];
    if (known && !known.includes(twin.variant)) {
      issues.push({ path: ['twin', 'variant'], message: `expected one of ${known.join(', ')} (variants of ${scheme}), got ${JSON.stringify(twin.variant)}` });
    }
  }
  return issues;
}
