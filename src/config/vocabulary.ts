/**
 * The closed word lists a rig or suite file may use (DESIGN.md, "Vocabulary"), and the facts
 * that tie them together. Config schemas, error messages and later code all read them from here.
 * What belongs to one boot scheme (its name, target, setups, variants) is declared once, in its
 * folder under src/schemes/, and only gathered here from the scheme registry's pure metadata.
 */
import { SCHEMES as REGISTERED, SCHEME_NAMES } from '../schemes/meta-registry.js';

export const TARGETS = ['rp2040', 'stm32f429', 'nrf52840', 'nrf9160'] as const;
export type Target = (typeof TARGETS)[number];

/** The registered boot schemes' names. */
export const SCHEMES = SCHEME_NAMES as readonly [string, ...string[]];
/** A boot scheme's name: one of SCHEMES (checked at load time; the registry decides the list). */
export type Scheme = string;

/** Each boot scheme exists for exactly one target. */
export const SCHEME_TARGET: Readonly<Record<Scheme, Target>> = Object.fromEntries(REGISTERED.map((s) => [s.name, s.target as Target]));

/**
 * What the device did after a cut, plus `rig-error` when the rig itself failed. `degraded`: it
 * answers (waiting or running) only through its last-resort path (seed 001: the bootloader found no
 * valid Loader and started slot 2 itself), recoverable but one fault from bricked.
 * `version-mismatch` (a product of several processors, seed 000): every processor runs a valid
 * image, as console and flash agree, but the versions together are not a pair the suite's
 * `compatible:` supports — each side works, the product does not.
 */
export const OUTCOMES = ['updated', 'rolled-back', 'waiting', 'degraded', 'bricked', 'wrong-image', 'version-mismatch', 'boot-loop', 'rig-error'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * Outcomes that describe the device. A suite's expectations may only name these: a rig error
 * is never a device result, in either direction.
 */
export const DEVICE_OUTCOMES = ['updated', 'rolled-back', 'waiting', 'degraded', 'bricked', 'wrong-image', 'version-mismatch', 'boot-loop'] as const;
export type DeviceOutcome = (typeof DEVICE_OUTCOMES)[number];

/**
 * Twin bootloader variants known per scheme: `correct` plus the seeded bugs a suite must catch.
 * Callers (the twin) can supply their own lists; a scheme with no list accepts any variant name.
 */
export type VariantLists = Partial<Record<Scheme, readonly string[]>>;

/** From each scheme's meta.ts; test/schemes/registry.test.ts holds them equal to the twin registry's. */
export const DEFAULT_VARIANTS: VariantLists = Object.fromEntries(REGISTERED.map((s) => [s.name, s.variants]));

/** `setup:` values a suite may give per scheme; the first is the default. */
export const SCHEME_SETUPS: Readonly<Record<Scheme, readonly string[]>> = Object.fromEntries(REGISTERED.map((s) => [s.name, s.setups]));

/** Update paths (rig `updater.driver`) each scheme allows. */
export const SCHEME_UPDATERS: Readonly<Record<Scheme, readonly string[]>> = Object.fromEntries(REGISTERED.map((s) => [s.name, s.updaters]));
