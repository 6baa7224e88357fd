/**
 * What a flash operation in flight does when power dies (reference/bootloader-formats-and-faults.md):
 * - skip: the operation never happened;
 * - complete: it finished, then power was lost;
 * - torn: a program leaves only some of its 1->0 bits cleared; an erase leaves the unit
 *   indeterminate (some bits back at 1, the rest as they were);
 * - random: one of the three, drawn from the seeded generator at each cut.
 */
export type PowerLossMode = 'skip' | 'complete' | 'torn' | 'random';
export const POWER_LOSS_MODES: readonly PowerLossMode[] = ['skip', 'complete', 'torn', 'random'];
