/**
 * The closed word lists a rig or suite file may use (DESIGN.md, "Vocabulary"), and the facts
 * that tie them together. Config schemas, error messages and later code all read them from here.
 */

export const TARGETS = ['rp2040', 'stm32f429', 'nrf52840'] as const;
export type Target = (typeof TARGETS)[number];

export const SCHEMES = ['sfu-ab', 'stm32-dualbank', 'mcuboot-swap'] as const;
export type Scheme = (typeof SCHEMES)[number];

/** Each boot scheme exists for exactly one target. */
export const SCHEME_TARGET: Readonly<Record<Scheme, Target>> = {
  'sfu-ab': 'rp2040',
  'stm32-dualbank': 'stm32f429',
  'mcuboot-swap': 'nrf52840',
};

/** What the device did after a cut, plus `rig-error` when the rig itself failed. */
export const OUTCOMES = ['updated', 'rolled-back', 'waiting', 'bricked', 'wrong-image', 'boot-loop', 'rig-error'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * Outcomes that describe the device. A suite's expectations may only name these: a rig error
 * is never a device result, in either direction.
 */
export const DEVICE_OUTCOMES = ['updated', 'rolled-back', 'waiting', 'bricked', 'wrong-image', 'boot-loop'] as const;
export type DeviceOutcome = (typeof DEVICE_OUTCOMES)[number];

/**
 * Twin bootloader variants known per scheme: `correct` plus the seeded bugs a suite must catch.
 * Callers (the twin) can supply their own lists; a scheme with no list accepts any variant name.
 */
export type VariantLists = Partial<Record<Scheme, readonly string[]>>;

export const DEFAULT_VARIANTS: VariantLists = {
  'sfu-ab': ['correct', 'sign-before-flush', 'boot-unsigned-target', 'erase-running-slot', 'generation-not-incremented'],
  'stm32-dualbank': ['correct', 'vector-table-first', 'bfb2-before-verify', 'vector-row-commit', 'repair-moves-boot'],
  'mcuboot-swap': ['correct', 'no-status-journal', 'journal-before-copy', 'never-revert', 'resume-skips-erased-pages', 'resume-unjournaled'],
};

/**
 * `setup:` values a suite may give per scheme; the first is the default. The scheme adapters
 * (src/scenario/schemes) implement exactly these: a test holds the two lists equal.
 */
export const SCHEME_SETUPS: Readonly<Record<Scheme, readonly string[]>> = {
  'sfu-ab': ['default'],
  'stm32-dualbank': ['factory', 'rom-fallback', 'from-bank2'],
  'mcuboot-swap': ['test', 'permanent'],
};
