/**
 * Variants of the loader-app twin (seed 001). `correct` is the design documented in dfu.ts and
 * boot.ts; each other one seeds one real-world bug a power-cut campaign must catch. One line
 * each: what it does wrong, what a lab would see.
 */
export const LOADER_APP_VARIANTS = {
  correct: {
    buggy: false,
    wrong: 'nothing: zeroes the old header, erases, writes the data with the header held in RAM, checks the CRC, then programs the header (its magic word last)',
    seen: 'every cut during an application update ends rolled-back (before the invalidation), waiting (Loader in DFU mode) or updated',
  },
  'header-first': {
    buggy: true,
    wrong: 'writes the image in stream order, header first, so the magic the Loader trusts lands before the data it vouches for',
    seen: 'a cut after the header and before the last data starts a half-written application: wrong-image (banner of the new version over partial data) or a crash loop',
  },
  'erase-to-invalidate': {
    buggy: true,
    wrong: 'invalidates the old image by erasing its first sector instead of programming zeros over its header first',
    seen: 'a cut in the first ms of that 1 s sector erase leaves the old header (still trusted) over a few erased bits: the old application runs over corrupted data (wrong-image); a later cut leaves faulting code, which the boot counter turns into DFU mode after three HardFaults (waiting)',
  },
  'no-slot2-fallback': {
    buggy: true,
    wrong: 'the bootloader jumps to slot 1 without checking its header, so an invalid Loader is started instead of falling back to slot 2',
    seen: 'a cut while the Updater rewrites the Loader leaves a core that faults at every start (boot-loop) instead of the Updater taking over',
  },
  'header-before-crc': {
    buggy: true,
    wrong: 'programs the received header before checking the CRCs (the transfer CRC and the header CRC over the data), and zeroes it again when a check fails',
    seen: 'with an image whose data does not match its header CRC (a corrupted download), a cut between the header program and its zeroing leaves it committed: the Loader starts what the correct design refuses (updated to a CRC-failing slot 2)',
  },
  'updater-erases-loader-early': {
    buggy: true,
    wrong: 'the Updater erases slot 1 at the ERASE and writes the new Loader as it arrives, instead of receiving all of it into RAM and checking it first',
    seen: 'a cut anywhere in the Loader transfer leaves slot 1 without a Loader: the bootloader starts the Updater itself (degraded: its "no valid Loader" line and the flash agree), where the correct Updater, still receiving into RAM, leaves Loader 1 running (waiting); the correct design is degraded only in its short rewrite after the whole Loader is checked (the host waiting for it: stage verify); a board without the fallback loops (boot-loop)',
  },
  'counter-never-cleared': {
    buggy: true,
    wrong: 'the Application never clears the boot counter (no stable rule), so every start of slot 2 counts as a failed attempt',
    seen: 'a good app survives power cuts (a POR wipes the counter) but its third start without one (brownouts, watchdog or pin resets) ends in DFU mode: waiting, "App unstable", with a valid app in slot 2',
  },
  'counter-cleared-early': {
    buggy: true,
    wrong: 'the Loader clears the boot counter as it starts slot 2 (a header that checks out taken for a stable app) instead of leaving it to the app once stable',
    seen: 'an image that crashes at start is started again after every watchdog reset: an endless crash loop (boot-loop) where the correct design ends in DFU mode after three boots',
  },
  'ram-trusted-after-brownout': {
    buggy: true,
    wrong: 'trusts the shared RAM whenever its magic is intact, whatever the reset flags say: no check of the flags and counter after a BOR-only brownout',
    seen: 'a brownout that flips the DFU flag or a high counter bit behind an intact magic sends a good app into DFU mode (waiting with a valid app in slot 2); needs a brownout deep enough to flip SRAM bits, so it shows rarely',
  },
} as const;

export type LoaderAppVariant = keyof typeof LOADER_APP_VARIANTS;
export const LOADER_APP_VARIANT_NAMES = Object.keys(LOADER_APP_VARIANTS) as LoaderAppVariant[];
