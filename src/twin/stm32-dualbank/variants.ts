/**
 * OTA-app variants of the stm32-dualbank twin. `correct` is the design documented in
 * ota-app.ts; each other one seeds one real-world class of bug that a brownout campaign must
 * catch. One line each: what it does wrong, what a lab would see.
 *
 * The ROM only looks at a bank when BFB2 is set (AN2606), so the write-order bugs bite only
 * while the bank being written is the one the ROM prefers: bank 2 written from bank 1 with
 * BFB2 already set (a board provisioned with BFB2 set and bank 2 blank, where the ROM falls
 * back to bank 1). With BFB2 clear the core starts bank 1 directly and bank 2 is never looked at.
 */
export const STM32_VARIANTS = {
  correct: {
    buggy: false,
    wrong: 'nothing: holds the vector-table sector back, writes it last with the image header next to last and the initial SP word last of all, then selects the new bank with BFB2',
    seen: 'every cut ends updated or rolled-back',
  },
  'vector-table-first': {
    buggy: true,
    wrong: 'writes the image in stream order, vector table first, header included, instead of holding the vector-table sector back',
    seen: 'with BFB2 already set, a cut after the first WRITE lets the ROM boot the half-written bank 2 (boot-loop on the missing code, or wrong-image)',
  },
  'bfb2-before-verify': {
    buggy: true,
    wrong: 'at START, switches BFB2 to the new bank before checking the CRC and before the held-back vector-table sector is written',
    seen: 'updating bank 1 from bank 2, a cut between the BFB2 switch and the end of the commit starts the erased bank 1 directly (boot-loop)',
  },
  'vector-row-commit': {
    buggy: true,
    wrong: 'commits with one 16-byte program of the whole first vector row (SP, reset, NMI, HardFault), as if a row program were atomic',
    seen: 'only a torn program of that row catches it: SP lands, the reset vector does not, and the ROM jumps into garbage (boot-loop); skip/complete cuts are fine',
  },
  'repair-moves-boot': {
    buggy: true,
    wrong: 'on a boot that finds the other bank half-written, re-copies the running image over it and points BFB2 at the copy before the copy is complete',
    seen: 'a single cut is fine (rolled-back after the repair); a second cut during the repair of bank 1 starts a half-copied bank 1 directly (boot-loop)',
  },
} as const;

export type Stm32Variant = keyof typeof STM32_VARIANTS;
export const STM32_VARIANT_NAMES = Object.keys(STM32_VARIANTS) as Stm32Variant[];
