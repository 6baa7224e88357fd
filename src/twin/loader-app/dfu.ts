/**
 * DFU mode: the Loader receiving an Application (or the Updater) for slot 2, and the Updater
 * receiving a Loader for slot 1 (seed 001, dfu.c). Served over the console UART with the SFU
 * command set of the STM32F4 OTA app (reference/sfu-protocol.md §5: SFU_VER 0x0100, ERASE by
 * sector with ERASE_PART = sector number, WRITE straight to flash, START with the CRC of what the
 * slot will hold), so the host's uploader (rig `updater.driver: sfu-app`) drives it unchanged.
 *
 * The correct update, and why each step is where it is:
 * 1. ERASE first programs zeros over the slot's header (dfu_invalidate_image): flash programming
 *    only clears bits, so this is one short program, and from then on the slot is not bootable
 *    even if the erase that follows is cut (a torn sector erase can leave the old header whole).
 * 2. The slot's sectors are erased in ascending order.
 * 3. WRITE programs everything but the 32-byte header, which is held in RAM.
 * 4. START: the SFU CRC over the image as the slot will hold it; then image_validate: the header's
 *    CRC over the data now in flash. Only then
 * 5. the header is programmed: words 1–7 first, the word with the magic last of all, so a torn
 *    commit never leaves a magic in front of a half-written header. Then a system reset.
 * A cut before step 5 ends leaves no valid header: the Loader stays in DFU mode (`waiting`) and
 * the host can send the image again.
 */
import {
  DeviceFrameReceiver,
  SFU_VER_F4,
  SfuCode,
  decodeEraseRequest,
  decodeStartRequest,
  decodeWriteRequest,
  encodeErasePart,
  encodeEraseReply,
  encodeFrame,
  encodeInfoReply,
  encodeStartReply,
  encodeWriteReply,
  sfuCrc,
} from '../../protocols/sfu/index.js';
import { APPINFO_SIZE, decodeAppInfo } from '../../protocols/appinfo.js';
import { hexDigits as hex8 } from '../../core/hex.js';
import { STM32_SECTORS } from '../../targets/stm32f429.js';
import { LOADER_APP_HEADER as H, LOADER_APP_IMAGE_LAYOUT as L, LOADER_APP_SLOTS, type LoaderAppImageType, type LoaderAppSlot } from '../../targets/stm32f429-fwup.js';
import type { Mcu } from '../mcu.js';
import { dataCrcMatches, imageCrcMatches, parseHeader } from './image-check.js';
import type { LoaderAppVariant } from './variants.js';

/** The USART RX ring the Loader advertises (as the F4 OTA app's). */
export const LOADER_APP_RX_RING = 0x1_c000;
/** DBGMCU_IDCODE of an F42x/F43x as INFO sends it. */
const CPU_TYPE = 0x1003_0419;
const PACKET_TIMEOUT_MS = 500;
/** Software IEEE CRC over the image, per KiB at 168 MHz [inferred]. */
const VERIFY_MS_PER_KIB = 0.07;
/** Largest run of word programs done as one model operation. */
const BURST = 2048;
const WORD = 4;

export interface DfuOptions {
  /** The slot this program writes: slot 2 from the Loader, slot 1 from the Updater. */
  slot: LoaderAppSlot;
  /** Image types the slot may receive. */
  accept: readonly LoaderAppImageType[];
  variant: LoaderAppVariant;
  deviceId: Buffer;
  /** NVIC system reset into the boot chain (SRAM kept). */
  reset(): never;
  /** Runs after a commit, before the reset (the Updater asks the next Loader for DFU mode). */
  afterCommit?: () => void;
}

interface Session {
  end: number;
  writeAddr: number;
  /** The header, held until the commit (absent in header-first). */
  hold?: Buffer;
  /** The whole image, received into RAM before the slot is touched (the Updater writing the Loader). */
  ram?: Buffer;
  /** Sectors the image covers (erased at the commit when the image is in RAM). */
  sectors: readonly { address: number; size: number; index: number; inBank: number }[];
}

export class DfuServer {
  private readonly rx = new DeviceFrameReceiver();
  private session?: Session;

  constructor(
    private readonly mcu: Mcu,
    private readonly opts: DfuOptions,
  ) {}

  async serve(): Promise<never> {
    const { mcu } = this;
    let deadline = mcu.clock.now() + PACKET_TIMEOUT_MS;
    for (;;) {
      const data = mcu.takeRx();
      if (data) {
        for (const ev of this.rx.push(data)) {
          if (ev.type === 'packet') await this.dispatch(ev.code, ev.body);
          deadline = mcu.clock.now() + PACKET_TIMEOUT_MS;
        }
        continue;
      }
      const got = await mcu.waitRx(Math.max(0, deadline - mcu.clock.now()));
      if (!got && mcu.clock.now() >= deadline) {
        this.rx.timeout();
        if (this.session) {
          this.session = undefined;
          this.send(SfuCode.TIMEOUT, Buffer.alloc(4));
        }
        deadline = mcu.clock.now() + PACKET_TIMEOUT_MS;
      }
    }
  }

  send(code: number, body?: Uint8Array): void {
    this.mcu.uartTx(encodeFrame('device', code, body));
  }

  private async dispatch(code: number, body: Buffer): Promise<void> {
    switch (code) {
      case SfuCode.INFO:
        return this.info();
      case SfuCode.ERASE:
        return this.erase(body);
      case SfuCode.WRITE:
        return this.write(body);
      case SfuCode.START:
        return this.start(body);
      default:
        return;
    }
  }

  private info(): void {
    const { slot, deviceId } = this.opts;
    // Which program answers, for a host that updates in stages (the program that runs is the other slot's).
    const running = slot.base === LOADER_APP_SLOTS.slot2.base ? LOADER_APP_SLOTS.slot1 : LOADER_APP_SLOTS.slot2;
    const self = decodeAppInfo(this.mcu.flash.read(running.base + L.appInfoOffset, APPINFO_SIZE));
    if (!('error' in self)) this.mcu.print(`dfu: running ${self.version} @0x${hex8(running.base)}, receiving @0x${hex8(slot.base)}\r\n`);
    this.send(
      SfuCode.INFO,
      encodeInfoReply({ deviceId, cpuType: CPU_TYPE, slotKib: slot.size / 1024, sfuVersion: SFU_VER_F4, rxBufferSize: LOADER_APP_RX_RING, mainStartFrom: slot.base, mainRunFrom: slot.base }),
    );
  }

  private async erase(body: Buffer): Promise<void> {
    const { mcu } = this;
    const { slot, variant } = this.opts;
    const size = decodeEraseRequest(body);
    if (size === undefined) return;
    if (size === 0) {
      this.send(SfuCode.ERASE, encodeEraseReply());
      return;
    }
    this.session = undefined;
    if (size > slot.size) {
      mcu.print(`ERROR: ${size} bytes do not fit ${slot.name} (${slot.size})\r\n`);
      this.send(SfuCode.WRERROR);
      return;
    }
    const sectors = STM32_SECTORS.filter((s) => slot.sectors.includes(s.index));
    let covered = 0;
    const used = sectors.filter((s) => {
      const take = covered < size;
      covered += s.size;
      return take;
    });
    if (this.buffersInRam()) {
      // The Loader is small enough for SRAM: nothing in slot 1 changes until all of it is here and checked.
      this.session = { end: slot.base + covered, writeAddr: slot.base, ram: Buffer.alloc(covered, 0xff), sectors: used };
      mcu.emit({ kind: 'phase', name: 'receive', detail: `${slot.name} image into RAM` });
      this.send(SfuCode.ERASE, body.subarray(0, 4));
      return;
    }
    await this.invalidate();
    await this.eraseSectors(used, true);
    this.session = { end: slot.base + covered, writeAddr: slot.base, sectors: used, ...(variant !== 'header-first' && { hold: Buffer.alloc(H.size, 0xff) }) };
    mcu.emit({ kind: 'phase', name: 'write', detail: slot.name });
    this.send(SfuCode.ERASE, body.subarray(0, 4));
  }

  /**
   * The Updater writing the Loader holds the whole image in RAM first (correct design); the
   * `updater-erases-loader-early` bug erases slot 1 at the ERASE, as the Loader does for slot 2.
   */
  private buffersInRam(): boolean {
    return this.opts.accept.includes('loader') && this.opts.variant !== 'updater-erases-loader-early';
  }

  /** dfu_invalidate_image: zeros over the header, one short program (the erase-to-invalidate bug skips it). */
  private async invalidate(): Promise<void> {
    const { mcu } = this;
    const { slot, variant } = this.opts;
    if (variant === 'erase-to-invalidate' || mcu.flash.read(slot.base, H.size).every((b) => b === 0)) return;
    mcu.emit({ kind: 'phase', name: 'invalidate', detail: slot.name });
    await mcu.flashOp(mcu.flash.program(slot.base, Buffer.alloc(H.size, 0)));
  }

  private async eraseSectors(used: Session['sectors'], report: boolean): Promise<void> {
    const { mcu } = this;
    mcu.emit({ kind: 'phase', name: 'erase', detail: `${this.opts.slot.name} sectors ${used[0]!.index}-${used.at(-1)!.index}` });
    for (const s of used) {
      await mcu.flashOp(mcu.flash.erase(s.address, s.size));
      if (report) this.send(SfuCode.ERASE_PART, encodeErasePart(s.inBank));
    }
  }

  private replyWriteStatus(): void {
    this.send(SfuCode.WRITE, encodeWriteReply({ nextAddr: this.session?.writeAddr ?? 0, rxBacklog: this.mcu.rxPending }));
  }

  private async write(body: Buffer): Promise<void> {
    if (body.length <= 4) return this.replyWriteStatus();
    const s = this.session;
    if (!s) {
      this.send(SfuCode.WRERROR);
      return;
    }
    const { addr, data } = decodeWriteRequest(body);
    if (addr === s.writeAddr) {
      if (addr % WORD || addr + data.length > s.end) {
        this.mcu.print(`ERROR: write of ${data.length} bytes at 0x${hex8(addr)} outside the erased area\r\n`);
        this.session = undefined;
        this.send(SfuCode.WRERROR);
        return;
      }
      await this.program(s, addr, data);
      s.writeAddr += data.length;
    }
    this.replyWriteStatus();
  }

  /** Straight to flash in bursts; the header's 32 bytes go to RAM instead (correct design). */
  private async program(s: Session, addr: number, data: Buffer): Promise<void> {
    const base = this.opts.slot.base;
    if (s.ram) {
      data.copy(s.ram, addr - base);
      return;
    }
    await this.programData(s, addr, data);
  }

  private async programData(s: Session, addr: number, data: Buffer): Promise<void> {
    const base = this.opts.slot.base;
    for (let pos = 0; pos < data.length;) {
      const offset = addr + pos - base;
      if (s.hold && offset < H.size) {
        const n = Math.min(H.size - offset, data.length - pos);
        data.copy(s.hold, offset, pos, pos + n);
        pos += n;
        continue;
      }
      const n = Math.min(BURST - (offset % BURST), data.length - pos);
      await this.mcu.flashOp(this.mcu.flash.program(base + offset, data.subarray(pos, pos + n)));
      pos += n;
    }
  }

  private async start(body: Buffer): Promise<void> {
    const { mcu } = this;
    const { slot, accept } = this.opts;
    const expected = decodeStartRequest(body);
    if (expected === undefined) return;
    const s = this.session;
    this.session = undefined;
    const count = s ? s.writeAddr - slot.base : 0;
    const image = s?.ram ? Buffer.from(s.ram.subarray(0, count)) : mcu.flash.read(slot.base, count);
    s?.hold?.copy(image, 0, 0, Math.min(count, H.size));
    mcu.emit({ kind: 'phase', name: 'verify', detail: `${count} bytes` });
    await mcu.sleep((count / 1024) * VERIFY_MS_PER_KIB);
    const crc = sfuCrc(image);
    this.send(SfuCode.START, encodeStartReply({ slotBase: slot.base, count, crc }));
    if (!s) return;
    const header = parseHeader(image.subarray(0, H.size), slot, accept);
    // The seeded bug: the header goes in before either CRC is looked at; a failed check zeroes it again.
    const early = this.opts.variant === 'header-before-crc' && header !== undefined && (await this.commit(s, image));
    let problem: string | undefined;
    if (crc >>> 0 !== expected >>> 0) problem = 'CRC != NEED';
    else if (!header) problem = `IMAGE INVALID: no header for ${slot.name} (${accept.join('/')})`;
    else if (H.size + header.dataSize > count) problem = 'IMAGE INVALID: the header claims more data than was received';
    else {
      // image_validate reads the data back (from flash, or the RAM copy) and computes its CRC.
      await mcu.sleep((header.dataSize / 1024) * VERIFY_MS_PER_KIB);
      if (!(s.ram ? imageCrcMatches(image, header) : dataCrcMatches(mcu.flash, slot, header))) problem = 'IMAGE INVALID: CRC of the data does not match the header';
    }
    if (problem || !header) {
      mcu.print(`${problem}\r\n`);
      if (early) {
        mcu.emit({ kind: 'phase', name: 'invalidate', detail: `${slot.name} after a failed check` });
        await mcu.flashOp(mcu.flash.program(slot.base, Buffer.alloc(H.size, 0)));
      }
      return;
    }
    // The verdict line an SFU 0x0100 uploader waits for (it never signs).
    await mcu.printBlocking('\r\nCRC OK\r\n');
    if (!early && !(await this.commit(s, image))) return;
    await mcu.printBlocking(`COMMIT ${slot.name} ${header.type} ${header.version}\r\n`);
    this.opts.afterCommit?.();
    await mcu.printBlocking('reset\r\n');
    this.opts.reset();
  }

  /**
   * Makes the received image the slot's: from RAM, the slot is invalidated, erased and programmed
   * now; then the held header, words 1-7 first and the magic word last. False when it does not read back.
   */
  private async commit(s: Session, image: Buffer): Promise<boolean> {
    const { mcu } = this;
    const { slot } = this.opts;
    if (s.ram) {
      await this.invalidate();
      await this.eraseSectors(s.sectors, false);
      mcu.emit({ kind: 'phase', name: 'write', detail: slot.name });
      if (image.length > H.size) await this.programData(s, slot.base + H.size, image.subarray(H.size));
    }
    const header = s.ram ? image.subarray(0, H.size) : s.hold;
    if (!header) return true;
    mcu.emit({ kind: 'phase', name: 'commit', detail: slot.name });
    await mcu.flashOp(mcu.flash.program(slot.base + WORD, header.subarray(WORD)));
    await mcu.flashOp(mcu.flash.program(slot.base, header.subarray(0, WORD)));
    if (!mcu.flash.read(slot.base, H.size).equals(header)) {
      mcu.print('COMMIT FAILED: the header does not read back\r\n');
      return false;
    }
    return true;
  }
}
