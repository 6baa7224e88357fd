import { APPINFO_OFFSET, APPINFO_SIZE, decodeAppInfo } from '../protocols/appinfo.js';
import type { Mcu } from './mcu.js';

export interface AppSlot {
  /** Slot name as the banner prints it (A, B, bank1, primary...). */
  name: string;
  /** First byte of the image in flash. */
  base: number;
  /** Address of the vector table (initial SP, reset PC). */
  vectorTable: number;
}

export interface AppModelOptions {
  /** What the watchdog restarts after a crash: the boot chain from the top. */
  reboot: (mcu: Mcu) => Promise<void>;
  /** Time from a fault to the watchdog reset. */
  watchdogMs?: number;
}

/** The banner line the app prints once it runs; the console half of every verdict reads it. */
export function appBanner(version: string, slot: string, base: number, buildId: string): string {
  return `hilrig-app ${version} running from slot ${slot} @0x${base.toString(16).padStart(8, '0')} build ${buildId}`;
}

/**
 * The sample application. It does what a real image would do when half of it is missing:
 * code at the reset vector that is still erased, an info block that is not there, or an image
 * linked for the other slot all end in a HardFault and a watchdog reset (a boot loop), while a
 * truncated image whose start is intact runs and prints its banner.
 */
export async function runApp(mcu: Mcu, slot: AppSlot, opts: AppModelOptions): Promise<void> {
  const flash = mcu.flash;
  const pc = flash.readU32(slot.vectorTable + 4) & ~1;
  const inFlash = pc >= flash.base && pc + 256 <= flash.base + flash.geometry.size;
  const codeThere = inFlash && !flash.isErased(pc - (pc % 256), 256);
  const info = decodeAppInfo(flash.read(slot.base + APPINFO_OFFSET, APPINFO_SIZE));
  const linkedHere = !('error' in info) && info.linkBase === slot.base;
  await mcu.sleep(2);
  if (!codeThere || 'error' in info || !linkedHere) {
    mcu.print('=== ERROR HardFault ===\n');
    mcu.print(`PC\t0x${pc.toString(16).padStart(8, '0')}\n`);
    await mcu.sleep(opts.watchdogMs ?? 100);
    mcu.reset(opts.reboot);
  }
  mcu.print(appBanner(info.version, slot.name, slot.base, info.buildId) + '\n');
  // The app idles; a real one would serve its own protocol on the UART.
  for (;;) {
    await mcu.waitRx(60_000);
    mcu.takeRx();
  }
}
