/**
 * What an application does to MCUboot's trailers (bootutil_public.c), for the twin's apps: mark
 * the secondary pending (boot_set_pending / boot_request_upgrade) and confirm the running image
 * (boot_set_confirmed). An area on a shared bus is read and written through its port, under the lock.
 */
import type { Mcu } from '../mcu.js';
import { areaErase, areaProgram, areaRead, type FlashArea } from './flash-area.js';
import { BOOT_MAGIC, readSwapState, trailerInfoSpan, trailerOffsets, wordOf, SwapType, type SwapState } from './trailer.js';

/** The area's swap state, read through its bus (under the lock, its transfer time) when it has one. */
export async function readAreaSwapState(area: FlashArea): Promise<SwapState> {
  if (area.port) {
    const span = trailerInfoSpan(area);
    await areaRead(area, span.address, span.length);
  }
  return readSwapState(area);
}

/**
 * boot_set_pending (reference §2.5): with the secondary's magic unset, write the magic, image_ok
 * when `permanent`, then swap_info (TEST or PERM); already GOOD: nothing (a request is there). A
 * BAD magic: the slot is corrupt, MCUboot erases it and refuses ('bad'). Returns what it found.
 */
export async function setPending(mcu: Mcu, secondary: FlashArea, permanent: boolean): Promise<'written' | 'already' | 'bad'> {
  const s = await readAreaSwapState(secondary);
  if (s.magic === 'good') return 'already';
  if (s.magic === 'bad') {
    for (let at = 0; at < secondary.size; at += secondary.config.sector) await areaErase(mcu, secondary, secondary.base + at, secondary.config.sector);
    return 'bad';
  }
  const t = trailerOffsets(secondary);
  const cfg = secondary.config;
  mcu.emit({ kind: 'phase', name: 'set-pending', detail: permanent ? 'perm' : 'test' });
  await areaProgram(mcu, secondary, t.magic, BOOT_MAGIC);
  if (permanent) await areaProgram(mcu, secondary, t.imageOk, wordOf(1, cfg));
  await areaProgram(mcu, secondary, t.swapInfo, wordOf(permanent ? SwapType.PERM : SwapType.TEST, cfg));
  return 'written';
}

/** boot_set_confirmed: with the primary's magic GOOD and image_ok unset, write image_ok. True when it wrote. */
export async function confirmImage(mcu: Mcu, primary: FlashArea): Promise<boolean> {
  const s = await readAreaSwapState(primary);
  if (s.magic !== 'good' || s.imageOk !== 'unset') return false;
  mcu.emit({ kind: 'phase', name: 'confirm', detail: 'image_ok' });
  await areaProgram(mcu, primary, trailerOffsets(primary).imageOk, wordOf(1, primary.config));
  return true;
}
