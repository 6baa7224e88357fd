/**
 * The sample application as MCUboot chainloads it on the nRF52840: vector table at the primary
 * slot + ih_hdr_size, app info block APPINFO_OFFSET after it. It faults on an implausible image,
 * prints its banner, and confirms itself (boot_set_confirmed) after a delay or on a `confirm`
 * line, as a Zephyr app calling boot_write_img_confirmed() does.
 */
import { APPINFO_OFFSET, APPINFO_SIZE, decodeAppInfo } from '../../protocols/appinfo.js';
import { NRF52840 } from '../../targets/nrf52840.js';
import { appBanner } from '../app.js';
import type { Mcu } from '../mcu.js';
import type { FlashArea } from '../mcuboot/flash-area.js';
import { readSwapState, trailerOffsets, wordOf } from '../mcuboot/trailer.js';

export interface McubootAppOptions {
  /** Address of the vector table (primary base + ih_hdr_size). */
  vectorTable: number;
  /** The slot it runs from (its trailer holds image_ok). */
  primary: FlashArea;
  /** Self-confirm this long after start; null never (then only the console command confirms). */
  confirmAfterMs: number | null;
  /** What the watchdog restarts after a fault. */
  reboot: (mcu: Mcu) => Promise<void>;
  watchdogMs?: number;
}

/** Default self-confirm delay: the app has "come up" (banner printed, main loop entered). */
export const DEFAULT_CONFIRM_AFTER_MS = 500;

function plausible(mcu: Mcu, primary: FlashArea, vt: number): { ok: boolean; pc: number; version?: string; buildId?: string } {
  const flash = mcu.flash;
  const sp = flash.readU32(vt);
  const pc = flash.readU32(vt + 4) & ~1;
  const end = primary.base + primary.size;
  const spOk = sp > NRF52840.sramBase && sp <= NRF52840.sramTop && sp % 4 === 0;
  const pcOk = pc >= vt && pc + 256 <= end && !flash.isErased(pc - (pc % 256), 256);
  const info = decodeAppInfo(flash.read(vt + APPINFO_OFFSET, APPINFO_SIZE));
  if (!spOk || !pcOk || 'error' in info || info.linkBase !== vt) return { ok: false, pc };
  return { ok: true, pc, version: info.version, buildId: info.buildId };
}

/** boot_set_confirmed: magic GOOD and image_ok UNSET, then write image_ok. */
async function confirm(mcu: Mcu, primary: FlashArea): Promise<void> {
  const s = readSwapState(primary);
  if (s.magic !== 'good' || s.imageOk !== 'unset') return;
  mcu.emit({ kind: 'phase', name: 'confirm', detail: 'image_ok' });
  await mcu.flashOp(mcu.flash.program(trailerOffsets(primary).imageOk, wordOf(1, primary.config)));
}

export async function runMcubootApp(mcu: Mcu, opts: McubootAppOptions): Promise<void> {
  const app = plausible(mcu, opts.primary, opts.vectorTable);
  await mcu.sleep(2);
  if (!app.ok) {
    mcu.print('=== ERROR HardFault ===\n');
    mcu.print(`PC\t0x${app.pc.toString(16).padStart(8, '0')}\n`);
    await mcu.sleep(opts.watchdogMs ?? 100);
    mcu.reset(opts.reboot);
    mcu.check();
    return;
  }
  // The host acts once it sees the banner (settles, reads the flash, cuts the power): from here on
  // no job may end by a jump (../flash/resume-memo.ts). A crash before it (a revert to come) may.
  mcu.flash.resume.until = undefined;
  mcu.print(appBanner(app.version!, 'primary', opts.primary.base, app.buildId!) + '\n');
  const deadline = opts.confirmAfterMs === null ? Infinity : mcu.clock.now() + opts.confirmAfterMs;
  let confirmed = false;
  let line = '';
  for (;;) {
    const wait = confirmed ? 60_000 : Math.min(60_000, Math.max(0, deadline - mcu.clock.now()));
    await mcu.waitRx(wait);
    const rx = mcu.takeRx();
    let asked = false;
    if (rx) {
      line += rx.toString('latin1');
      const parts = line.split(/\r?\n/);
      line = parts.pop()!.slice(-256);
      asked = parts.some((p) => p.trim() === 'confirm');
    }
    if (asked || (!confirmed && mcu.clock.now() >= deadline)) {
      await confirm(mcu, opts.primary);
      confirmed = true;
      mcu.print('confirmed\n');
    }
  }
}
