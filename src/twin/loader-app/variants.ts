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
    seen: 'a cut early in that 1 s sector erase leaves the old header (still trusted) over half-erased code: the Loader starts it and it faults (boot-loop)',
  },
  'no-slot2-fallback': {
    buggy: true,
    wrong: 'the bootloader jumps to slot 1 without checking its header, so an invalid Loader is started instead of falling back to slot 2',
    seen: 'a cut while the Updater rewrites the Loader leaves a core that faults at every start (boot-loop) instead of the Updater taking over',
  },
} as const;

export type LoaderAppVariant = keyof typeof LOADER_APP_VARIANTS;
export const LOADER_APP_VARIANT_NAMES = Object.keys(LOADER_APP_VARIANTS) as LoaderAppVariant[];
