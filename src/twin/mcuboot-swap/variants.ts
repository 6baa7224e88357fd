/**
 * Bootloader variants of the nRF52840 MCUboot swap-scratch twin. `correct` follows
 * reference/bootloader-formats-and-faults.md §2.3–2.5 and §3.1 (with MCUboot's real status-source
 * table); each other one seeds one class of power-fail bug. One line each: what it does wrong,
 * what a lab would see.
 */
export const MCUBOOT_VARIANTS = {
  correct: {
    buggy: false,
    wrong: 'nothing: MCUboot swap-scratch (status journal, resume, revert, VALIDATE_PRIMARY_SLOT) as the reference describes it',
    seen: 'every cut ends updated or rolled-back',
  },
  'no-status-journal': {
    buggy: true,
    wrong: 'writes no status records; after a reset it finds the trailer of an unfinished swap and restarts it from region 1',
    seen: 'a cut after the first copy scrambles the slots: the primary fails validation and MCUboot hangs (bricked)',
  },
  'journal-before-copy': {
    buggy: true,
    wrong: 'writes each status record before the copy or erase it records, so a record can claim work that never finished',
    seen: 'a cut inside a copy resumes past it and moves a half-copied region into the primary (bricked)',
  },
  'never-revert': {
    buggy: true,
    wrong: 'drops the REVERT row of the swap table: a test image that never confirmed is kept',
    seen: 'a test image that crashes before confirming is never reverted: HardFault and watchdog reset forever (boot-loop)',
  },
  'resume-skips-erased-pages': {
    buggy: true,
    wrong: 'when it redoes an interrupted step, skips erasing pages whose first word already reads erased (assumes the erase had finished)',
    seen: 'only a torn erase exposes it: a half-erased page is programmed over and the primary fails its hash (bricked)',
  },
  'resume-unjournaled': {
    buggy: true,
    wrong: 'a resumed swap stops writing status records (it trusts itself to finish), so the journal goes stale',
    seen: 'one cut recovers; a second cut during the resumed swap replays stale steps over moved data (bricked)',
  },
} as const;

export type McubootVariant = keyof typeof MCUBOOT_VARIANTS;
export const MCUBOOT_VARIANT_NAMES = Object.keys(MCUBOOT_VARIANTS) as McubootVariant[];
