/**
 * Bootloader variants of the RP2040-SFU twin. `correct` follows reference/sfu-protocol.md,
 * including its documented weaknesses; each other one seeds one real-world class of bug that
 * a brownout campaign must catch. One line each: what it does wrong, what a lab would see.
 */
export const SFU_VARIANTS = {
  correct: {
    buggy: false,
    wrong: 'nothing: Mirn/rp2040-SFU at 2bfb8b2 as the reference describes it',
    seen: 'every cut ends updated or rolled-back',
  },
  'sign-before-flush': {
    buggy: true,
    wrong: "START signs the slot (CRC read back from flash) before the BIN2Page decoder's last partial page is written",
    seen: 'uncut updates silently roll back; a cut between signing and the last page boots a truncated image (wrong-image)',
  },
  'boot-unsigned-target': {
    buggy: true,
    wrong: 'remembers the update target in the NV sector at ERASE and, after a reset, boots it if its vector table looks sane, without the signature or CRC',
    seen: 'a cut after the vector-table page boots a half-written image (wrong-image, or a crash loop when the code is not there yet)',
  },
  'erase-running-slot': {
    buggy: true,
    wrong: 'INFO leaves the slot selector flipped, so the following ERASE flips it back and wipes the running slot',
    seen: 'a cut during the update leaves no valid slot: the device waits in the bootloader with the old image gone (waiting)',
  },
  'generation-not-incremented': {
    buggy: true,
    wrong: "signs the new slot with the running slot's generation instead of max+1, so the selection tie goes to slot A",
    seen: 'the update is signed and boots once; the next power cycle runs the old image again (a committed update lost: wrong-image)',
  },
} as const;

export type SfuVariant = keyof typeof SFU_VARIANTS;
export const SFU_VARIANT_NAMES = Object.keys(SFU_VARIANTS) as SfuVariant[];
