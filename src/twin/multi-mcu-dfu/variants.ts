/**
 * Variants of the two-processor product twin (seed 000). `correct` is the protocol in host-app.ts
 * and radio-app.ts; each other one seeds one bug of the list. One line each: what it does
 * wrong, and what a lab (a cut sweep) sees, with the window of cuts that shows it. The correct
 * product always ends `updated` after any cut, so everything else a variant leaves is caught.
 */
export const MULTI_MCU_DFU_VARIANTS = {
  correct: {
    buggy: false,
    wrong: 'nothing: download under the lock with a resumable record, read-back check, radio first (checked, swapped, confirmed, reported), then the host; re-drives every step after a cut',
    seen: 'every cut, single or double, ends updated (host 2.0.0 + radio 2.0.0); only cuts before `fota: accepted` (the record not yet written) leave the product untouched',
  },
  'lock-not-taken': {
    buggy: true,
    wrong: 'the host writes the download chunks (programs and erases) without taking the bus lock; the radio logs under it',
    seen: 'a radio log write (every 100 ms, under the lock) meeting an unlocked chunk write on the bus (a collision, or a command the busy flash ignores) spoils the image: the read-back check fails twice and the update gives up (fota: failed verify-<member>, rolled-back); window: the whole download, usually the no-cut run already',
  },
  'ready-early': {
    buggy: true,
    wrong: "records the radio image complete and sends `dfu ready` when the radio image's last chunk arrives, then writes it",
    seen: 'a cut between that record and the last chunk landing in flash: the chunk is never written, the radio rejects the image (dfu bad) and the update fails (rolled-back); a few ops only, found by the every-op sweep',
  },
  'host-confirms-early': {
    buggy: true,
    wrong: 'marks its own image pending and permanent right after `dfu ready` and counts the update done, without waiting for the radio to report',
    seen: "a cut after its own pending mark and before the radio's confirm (before the radio marks its image, or between the radio's swap and its confirm) leaves host 2.0.0 with radio 1.0.0: version-mismatch; cuts inside the radio's swap resume and end updated",
  },
  'unchecked-apply': {
    buggy: true,
    wrong:
      'the radio trusts `dfu ready`: it marks whatever its secondary holds pending without hashing it (nor noticing it already runs that image), and its MCUboot is built without secondary validation',
    seen: "a cut from the radio's own pending mark until the host has recorded its report (the hand-over and the whole radio swap): the host signals again after the cut, the radio marks its secondary again, which now holds the stale 1.0.0 its swap moved there, swaps it back and the update fails (fota: failed radio-not-updated, rolled-back); the correct radio answers `dfu done`",
  },
  'no-resume': {
    buggy: true,
    wrong: 'after a cut the host drops an unfinished download instead of resuming it',
    seen: 'every cut in the download leaves both at 1.0.0 and the host idle (rolled-back: the update never finishes)',
  },
} as const;

export type MultiMcuDfuVariant = keyof typeof MULTI_MCU_DFU_VARIANTS;
export const MULTI_MCU_DFU_VARIANT_NAMES = Object.keys(MULTI_MCU_DFU_VARIANTS) as MultiMcuDfuVariant[];
