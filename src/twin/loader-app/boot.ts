/**
 * The four programs of seed 001 on the loader-app twin, as one boot chain:
 * - the bootloader (0x0800_0000, immutable) starts the Loader when slot 1 holds a committed
 *   Loader header, else falls back to whatever slot 2 holds (the Updater during a Loader update);
 * - the Loader (slot 1) initialises the shared RAM, then starts slot 2 unless DFU was requested,
 *   the boot counter has reached 3, or slot 2 holds no committed header; otherwise DFU mode;
 * - the Application (slot 2) never writes flash: asked for an update (an SFU INFO frame, or the
 *   `dfu` console command) it sets the DFU-requested flag and resets into the Loader;
 * - the Updater (slot 2, for a while) receives a new Loader for slot 1.
 * Each start checks the vector table it jumps to (initial SP in SRAM, a Thumb reset vector in the
 * slot, code there, the info block linked for the slot): anything else is a HardFault and a
 * watchdog reset, which keeps SRAM and so the boot counter.
 */
import { APPINFO_SIZE, decodeAppInfo, type AppInfo } from '../../protocols/appinfo.js';
import { DeviceFrameReceiver, SfuCode } from '../../protocols/sfu/index.js';
import { hexDigits as hex8 } from '../../core/hex.js';
import { STM32F429 } from '../../targets/stm32f429.js';
import { LOADER_APP_IMAGE_LAYOUT as L, LOADER_APP_SLOTS, type LoaderAppSlot } from '../../targets/stm32f429-fwup.js';
import { appBanner } from '../app.js';
import { PowerLost, type Mcu } from '../mcu.js';
import { DfuServer } from './dfu.js';
import { bootableHeader, type SlotHeader } from './image-check.js';
import type { SharedRam } from './shared-ram.js';
import type { LoaderAppVariant } from './variants.js';

export const MAX_BOOT_ATTEMPTS = 3;
const WATCHDOG_MS = 100;
/** Clock and UART setup of each program before its first line [inferred]. */
const START_MS = 1;

export interface BootChainOptions {
  ram: SharedRam;
  variant: LoaderAppVariant;
  deviceId: Buffer;
}

export function loaderAppBootChain(opts: BootChainOptions): (mcu: Mcu) => Promise<void> {
  const boot = async (mcu: Mcu): Promise<void> => new Programs(mcu, opts, boot).bootloader();
  return boot;
}

class Programs {
  constructor(
    private readonly mcu: Mcu,
    private readonly opts: BootChainOptions,
    private readonly boot: (mcu: Mcu) => Promise<void>,
  ) {}

  private reset(): never {
    this.mcu.reset(this.boot);
    throw new PowerLost();
  }

  private async crash(pc: number): Promise<never> {
    this.mcu.print('=== ERROR HardFault ===\r\n');
    this.mcu.print(`PC\t0x${hex8(pc)}\r\n`);
    await this.mcu.sleep(WATCHDOG_MS);
    return this.reset();
  }

  /** What the core finds when it jumps through the vector table at `vectors`; a crash when it cannot run. */
  private async enter(slot: LoaderAppSlot, vectors: number): Promise<AppInfo> {
    const flash = this.mcu.flash;
    const sp = flash.readU32(vectors);
    const pc = flash.readU32(vectors + 4);
    const target = (pc & ~1) >>> 0;
    const inSlot = pc % 2 === 1 && target >= slot.base && target + 256 <= slot.base + slot.size;
    const codeThere = inSlot && !flash.isErased(target - (target % 256), 256);
    const info = decodeAppInfo(flash.read(slot.base + L.appInfoOffset, APPINFO_SIZE));
    await this.mcu.sleep(START_MS);
    const spOk = sp >= STM32F429.sramBase && sp <= STM32F429.sramEnd;
    if (!spOk || !codeThere || 'error' in info || info.linkBase !== slot.base) return this.crash(pc);
    return info;
  }

  async bootloader(): Promise<void> {
    const { mcu } = this;
    const { boot, slot1, slot2 } = LOADER_APP_SLOTS;
    mcu.emit({ kind: 'boot', image: 'bootloader', slot: 'boot' });
    await this.enter(boot, boot.base);
    if (this.opts.variant === 'no-slot2-fallback') {
      // The seeded bug: slot 1 is started through its linked vector table, unchecked.
      return this.loader(slot1.base + L.vectorOffset);
    }
    const loader = bootableHeader(mcu.flash, slot1, ['loader']);
    if (loader) return this.loader(loader.vectorAddr);
    mcu.print('boot: no valid Loader in slot 1, starting slot 2\r\n');
    const fallback = bootableHeader(mcu.flash, slot2, ['app', 'updater']);
    if (fallback) return this.startSlot2(fallback);
    mcu.print('boot: Unable to find bootable image\r\n');
    for (;;) {
      await mcu.waitRx(60_000);
      mcu.takeRx();
    }
  }

  private async loader(vectors: number): Promise<void> {
    const { mcu } = this;
    const { ram } = this.opts;
    const slot1 = LOADER_APP_SLOTS.slot1;
    mcu.emit({ kind: 'boot', image: 'bootloader', slot: 'slot1' });
    const info = await this.enter(slot1, vectors);
    mcu.print(`Loader ${info.version} started\r\n`);
    if (ram.init()) mcu.print('Shared memory uninitialized, setting magic\r\n');
    let reason: string;
    if (ram.dfuRequested) reason = 'DFU requested';
    else if (ram.bootCounter >= MAX_BOOT_ATTEMPTS) {
      ram.bootCounter = 0;
      reason = 'App unstable, dropping back into DFU mode';
    } else {
      const header = bootableHeader(mcu.flash, LOADER_APP_SLOTS.slot2, ['app', 'updater']);
      if (header) {
        ram.bootCounter = ram.bootCounter + 1;
        mcu.print(`Booting slot 2 (${header.type} ${header.version}), attempt ${ram.bootCounter}\r\n`);
        return this.startSlot2(header);
      }
      reason = 'No image found in slot 2';
    }
    mcu.print(`${reason}\r\n`);
    ram.dfuRequested = false;
    mcu.print('Entering DFU Mode: waiting for an update of slot 2\r\n');
    mcu.emit({ kind: 'phase', name: 'dfu', detail: reason });
    const dfu = new DfuServer(mcu, { slot: LOADER_APP_SLOTS.slot2, accept: ['app', 'updater'], variant: this.opts.variant, deviceId: this.opts.deviceId, reset: () => this.reset() });
    dfu.send(SfuCode.HWRESET);
    await dfu.serve();
  }

  private async startSlot2(header: SlotHeader): Promise<void> {
    const slot2 = LOADER_APP_SLOTS.slot2;
    this.mcu.emit({ kind: 'boot', image: 'app', slot: 'slot2' });
    const info = await this.enter(slot2, header.vectorAddr);
    if (header.type === 'updater') return this.updater(info);
    return this.application(info);
  }

  private async application(info: AppInfo): Promise<void> {
    const { mcu } = this;
    const { ram } = this.opts;
    const slot2 = LOADER_APP_SLOTS.slot2;
    mcu.print(appBanner(info.version, slot2.name, slot2.base, info.buildId) + '\r\n');
    // Stable as soon as it runs (a configurable stability rule is issue 12 item 4).
    ram.bootCounter = 0;
    const rx = new DeviceFrameReceiver();
    for (;;) {
      await mcu.waitRx(60_000);
      const data = mcu.takeRx();
      if (!data) continue;
      for (const ev of rx.push(data)) {
        const asked = ev.type === 'packet' ? ev.code === SfuCode.INFO : /(^|\n)\s*dfu\s*$/m.test(ev.text);
        if (!asked) continue;
        mcu.print('Rebooting into DFU mode\r\n');
        ram.dfuRequested = true;
        await mcu.sleep(START_MS);
        this.reset();
      }
    }
  }

  private async updater(info: AppInfo): Promise<void> {
    const { mcu } = this;
    const { ram } = this.opts;
    mcu.print(`hilrig-updater ${info.version} running from slot slot2: waiting for a Loader for slot 1\r\n`);
    ram.bootCounter = 0;
    const dfu = new DfuServer(mcu, {
      slot: LOADER_APP_SLOTS.slot1,
      accept: ['loader'],
      variant: this.opts.variant,
      deviceId: this.opts.deviceId,
      reset: () => this.reset(),
      // The new Loader must not start the Updater again: it waits for the application instead.
      afterCommit: () => (ram.dfuRequested = true),
    });
    dfu.send(SfuCode.HWRESET);
    await dfu.serve();
  }
}
