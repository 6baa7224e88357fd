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
 * watchdog reset, which keeps SRAM and so the boot counter — unless the board's supply drops out
 * at a crash (`crashReset`: a POR loses SRAM, a brownout keeps it).
 *
 * The boot counter: the Loader counts each start of slot 2 and drops to DFU mode at the third;
 * the Application clears it once stable (`stable`: after running `afterMs`, or when it reads the
 * rig's `command` line), never before.
 */
import { APPINFO_SIZE, decodeAppInfo, type AppInfo } from '../../protocols/appinfo.js';
import { DeviceFrameReceiver, SfuCode } from '../../protocols/sfu/index.js';
import { hexDigits as hex8 } from '../../core/hex.js';
import { STM32F429 } from '../../targets/stm32f429.js';
import { LOADER_APP_IMAGE_LAYOUT as L, LOADER_APP_SLOTS, type LoaderAppSlot } from '../../targets/stm32f429-fwup.js';
import { appBanner } from '../app.js';
import type { TwinBoardOptions } from '../device.js';
import { PowerLost, type Mcu } from '../mcu.js';
import { DfuServer } from './dfu.js';
import { bootableHeader, type SlotHeader } from './image-check.js';
import type { SharedRam } from './shared-ram.js';
import type { LoaderAppVariant } from './variants.js';

export const MAX_BOOT_ATTEMPTS = 3;
const WATCHDOG_MS = 100;
/** Clock and UART setup of each program before its first line [inferred]. */
const START_MS = 1;
/** How long the board's rail stays down when it drops out at a crash (crashReset power-cut / brownout) [a model figure]. */
export const CRASH_DROPOUT_MS = 200;
export const DEFAULT_STABLE_AFTER_MS = 500;
/** How long the app waits for input between looks at its stability timer. */
const IDLE_MS = 60_000;

export interface BootChainOptions {
  ram: SharedRam;
  variant: LoaderAppVariant;
  deviceId: Buffer;
  /** The board around the MCU (read at each use: the rig sets it after the twin is built). */
  board: TwinBoardOptions;
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
    const how = this.opts.board.crashReset ?? 'watchdog';
    if (how === 'watchdog') {
      this.mcu.reset(this.boot, 'watchdog');
      throw new PowerLost();
    }
    this.mcu.emit({ kind: 'phase', name: 'supply-dropout', detail: how });
    return this.mcu.supplyDropout(this.boot, how === 'power-cut' ? 'power-on' : 'brownout', CRASH_DROPOUT_MS);
  }

  /**
   * The early init of the first program after any reset: whether the shared RAM can be trusted
   * (PORRSTF: the seed clears its magic; BORRSTF alone: the correct design checks the CRC), then
   * RMVF so the next reset's flags stand alone.
   */
  private earlyInit(): void {
    const { mcu } = this;
    const trust = this.opts.ram.trustAfterReset(mcu.resetFlags, this.opts.variant !== 'ram-trusted-after-brownout');
    if (trust === 'corrupt') mcu.print('boot: brownout reset, shared memory fails its check: cleared\r\n');
    mcu.clearResetFlags();
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
    this.earlyInit();
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
    // The seeded bug: a header that checks out is taken for a stable app, so nothing is ever counted.
    if (this.opts.variant === 'counter-cleared-early') this.opts.ram.bootCounter = 0;
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
    const rule = this.opts.board.stable ?? { afterMs: DEFAULT_STABLE_AFTER_MS };
    const clears = this.opts.variant !== 'counter-never-cleared';
    let stableAt = 'afterMs' in rule ? mcu.clock.now() + rule.afterMs : Number.POSITIVE_INFINITY;
    let stable = false;
    const markStable = () => {
      stable = true;
      stableAt = Number.POSITIVE_INFINITY;
      // The seeded bug: the app never tells the Loader it is fine.
      if (!clears) return;
      ram.bootCounter = 0;
      mcu.print('Marking app as stable\r\n');
    };
    const rx = new DeviceFrameReceiver();
    let line = '';
    for (;;) {
      const now = mcu.clock.now();
      if (now >= stableAt) markStable();
      await mcu.waitRx(Math.min(IDLE_MS, Math.max(0, stableAt - now)));
      const data = mcu.takeRx();
      if (!data) continue;
      let dfu = false;
      for (const ev of rx.push(data)) if (ev.type === 'packet' && ev.code === SfuCode.INFO) dfu = true;
      // Console lines beside the SFU frames: `dfu` (the seed's cli_command_dfu_mode) and the rig's stable command.
      for (const ch of data.toString('latin1')) {
        if (ch !== '\r' && ch !== '\n') {
          line = (line + ch).slice(-256);
          continue;
        }
        const command = line.trim();
        line = '';
        if (command === 'dfu') dfu = true;
        else if ('command' in rule && !stable && command === rule.command.trim()) markStable();
      }
      if (!dfu) continue;
      mcu.print('Rebooting into DFU mode\r\n');
      ram.dfuRequested = true;
      await mcu.sleep(START_MS);
      this.reset();
    }
  }

  private async updater(info: AppInfo): Promise<void> {
    const { mcu } = this;
    const { ram } = this.opts;
    mcu.print(`hilrig-updater ${info.version} running from slot slot2: waiting for a Loader for slot 1\r\n`);
    // shared_memory_init in every program: when the bootloader fell back to the Updater, no Loader ran it.
    if (ram.init()) mcu.print('Shared memory uninitialized, setting magic\r\n');
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
