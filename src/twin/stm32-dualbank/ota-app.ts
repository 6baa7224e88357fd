/**
 * The application of the stm32-dualbank twin: an OTA app (seed 002) that runs from one bank and
 * writes the other, serving the SFU command set of the STM32F4 original
 * (reference/sfu-protocol.md §5: SFU_VER 0x0100, no SPEED, ERASE by STM32 sector, WRITE straight
 * to flash, START with the CRC over what the bank will hold) so that the host's SfuUploader
 * drives it unchanged while the app runs: there is no bootloader window to catch.
 *
 * Addresses on the wire are the running app's view: the other bank is always at 0x0810_0000
 * (with BFB2 clear bank 2 is there; when the ROM boots bank 2 it swaps the banks, and bank 1
 * appears there). The twin's flash is physical.
 *
 * The correct update, and why each step is where it is:
 * 1. ERASE erases the other bank's sectors in ascending order, so the vector-table sector goes
 *    first: from the first erase on the ROM sees no initial SP there.
 * 2. WRITE programs every word beyond the first 16 KiB sector at once; the data of that sector
 *    (vector table, image header, app info) is held in RAM.
 * 3. START: SFU CRC over the image as the bank will hold it (held sector + flash), then the
 *    whole-image checks (vectors, memfault header CRC over everything but the header, app info).
 * 4. Commit: the held sector is programmed except the initial SP word and the header, read back;
 *    then the header (the memfault commit), then the initial SP word last of all: it is the only
 *    thing the ROM looks at, so until that one word lands the bank cannot be booted.
 * 5. BFB2 is set for bank 2 or cleared for bank 1 (selected, not toggled: a board whose ROM fell
 *    back to bank 1 already has it set), then the app resets into the new bank.
 * A cut anywhere before step 5 completes leaves the old bank in charge (BFB2 clear: the core
 * starts bank 1 directly; BFB2 set: the ROM prefers a bank 2 with an SP in SRAM).
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
import { STM32F429, STM32_BANKS, STM32_IMAGE_LAYOUT, STM32_SECTORS, type Stm32BankName } from '../../targets/stm32f429.js';
import { appBanner } from '../app.js';
import { PowerLost, type Mcu } from '../mcu.js';
import { headerLength, imageProblem, pcInWindow, spInSram } from './image-check.js';
import type { Stm32OptionBytes } from './option-bytes.js';
import type { Stm32Variant } from './variants.js';
import { hexDigits as hex8 } from '../../core/hex.js';

/** Where the app sees the bank it does not run from. */
export const OTHER_BANK_ALIAS = 0x0810_0000;
/** The F4 original's USART RX ring (reference §2.1). */
export const STM32_RX_RING = 0x1_c000;
/** DBGMCU_IDCODE of an F42x/F43x (DEV_ID 0x419, REV_ID 0x1003) masked with 0xFFFF0FFF as INFO sends it. */
export const STM32F429_CPU_TYPE = 0x1003_0419;
const PACKET_TIMEOUT_MS = 500;
const WATCHDOG_MS = 100;
/** Hardware CRC unit plus a software IEEE CRC over the image, per KiB at 168 MHz [inferred]. */
const VERIFY_MS_PER_KIB = 0.07;
const ROW = 16;
/** Largest run of word programs done as one model operation (never crossing the held sector 0). */
const BURST = 2048;
const WORD = 4;
const SECTOR0 = STM32_IMAGE_LAYOUT.firstSectorSize;
const HDR_FROM = STM32_IMAGE_LAYOUT.headerOffset;
const HDR_TO = HDR_FROM + STM32_IMAGE_LAYOUT.headerSize;

export interface OtaAppOptions {
  variant: Stm32Variant;
  options: Stm32OptionBytes;
  /** The boot chain from the top: what a watchdog or NVIC reset runs. */
  reboot: (mcu: Mcu) => Promise<void>;
  /** 12 bytes: the MCU's unique ID, as INFO sends it. */
  deviceId: Buffer;
}

interface Session {
  target: Stm32BankName;
  /** Alias address one past the erased sectors. */
  end: number;
  /** Next stream address expected (alias). */
  writeAddr: number;
  /** The vector-table sector's data, held until the commit (absent in vector-table-first). */
  hold?: Buffer;
}

/** Runs the app found in `bank` (already chosen by the ROM or the core); never returns while powered. */
export async function runOtaApp(mcu: Mcu, bank: Stm32BankName, opts: OtaAppOptions): Promise<void> {
  await new OtaApp(mcu, bank, opts).main();
}

const otherBank = (bank: Stm32BankName): Stm32BankName => (bank === 'bank1' ? 'bank2' : 'bank1');

class OtaApp {
  private readonly base: number;
  private readonly rx = new DeviceFrameReceiver();
  private session?: Session;

  constructor(
    private readonly mcu: Mcu,
    private readonly bank: Stm32BankName,
    private readonly opts: OtaAppOptions,
  ) {
    this.base = STM32_BANKS[bank].base;
  }

  async main(): Promise<void> {
    const { mcu } = this;
    const flash = mcu.flash;
    const sp = flash.readU32(this.base);
    const pc = flash.readU32(this.base + 4);
    // The core fetches SP and PC from the bank mapped at 0: garbage there, erased code at the
    // reset vector or a missing info block all end in a fault and a watchdog reset.
    const pcAt = this.base + ((pc & ~1) - STM32F429.linkBase);
    const codeThere = pcInWindow(pc) && !flash.isErased(pcAt - (pcAt % 256), 256);
    const info = decodeAppInfo(flash.read(this.base + STM32_IMAGE_LAYOUT.appInfoOffset, APPINFO_SIZE));
    await mcu.sleep(2);
    if (!spInSram(sp) || !codeThere || 'error' in info || info.linkBase !== STM32F429.linkBase) {
      mcu.print('=== ERROR HardFault ===\r\n');
      mcu.print(`PC\t0x${hex8(pc)}\r\n`);
      await mcu.sleep(WATCHDOG_MS);
      this.resetNow();
    }
    this.send(SfuCode.HWRESET);
    mcu.print(appBanner(info.version, this.bank, this.base, info.buildId) + '\r\n');
    if (this.opts.variant === 'repair-moves-boot') await this.repairOtherBank();
    await this.serve();
  }

  // ---- the SFU service loop (reference §1.4, §1.5) ----

  private async serve(): Promise<void> {
    const { mcu } = this;
    let deadline = mcu.clock.now() + PACKET_TIMEOUT_MS;
    for (;;) {
      const data = mcu.takeRx();
      if (data) {
        for (const ev of this.rx.push(data)) {
          if (ev.type === 'packet') await this.dispatch(ev.code, ev.body);
          else mcu.print(ev.text);
          deadline = mcu.clock.now() + PACKET_TIMEOUT_MS;
        }
        continue;
      }
      const now = mcu.clock.now();
      const got = await mcu.waitRx(Math.max(0, deadline - now));
      if (!got && mcu.clock.now() >= deadline) {
        this.rx.timeout();
        if (this.session) {
          // Timeout only clears the write state (reference §5).
          this.session = undefined;
          this.send(SfuCode.TIMEOUT, Buffer.alloc(4));
        }
        deadline = mcu.clock.now() + PACKET_TIMEOUT_MS;
      }
    }
  }

  private send(code: number, body?: Uint8Array): void {
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
        return; // SPEED does not exist on SFU 0x0100; unknown codes are ignored (§1.4)
    }
  }

  private info(): void {
    this.send(
      SfuCode.INFO,
      encodeInfoReply({
        deviceId: this.opts.deviceId,
        cpuType: STM32F429_CPU_TYPE,
        slotKib: STM32F429.bankSize / 1024,
        sfuVersion: SFU_VER_F4,
        rxBufferSize: STM32_RX_RING,
        mainStartFrom: OTHER_BANK_ALIAS,
        mainRunFrom: OTHER_BANK_ALIAS,
      }),
    );
  }

  private physical(s: Session, alias: number): number {
    return STM32_BANKS[s.target].base + (alias - OTHER_BANK_ALIAS);
  }

  /** ERASE: the other bank's sectors in order until the size is covered; ERASE_PART = sector number within the bank. */
  private async erase(body: Buffer): Promise<void> {
    const { mcu } = this;
    const size = decodeEraseRequest(body);
    if (size === undefined) return;
    if (size === 0) {
      this.send(SfuCode.ERASE, encodeEraseReply());
      return;
    }
    this.session = undefined;
    const target = otherBank(this.bank);
    const sectors = STM32_SECTORS.filter((s) => s.bank === target);
    let covered = 0;
    const used = sectors.filter((s) => {
      const take = covered < size;
      covered += s.size;
      return take;
    });
    mcu.emit({ kind: 'phase', name: 'erase', detail: `${target} sectors ${used[0]!.index}-${used.at(-1)!.index}` });
    for (const s of used) {
      await mcu.flashOp(mcu.flash.erase(s.address, s.size));
      this.send(SfuCode.ERASE_PART, encodeErasePart(s.inBank));
    }
    const span = used.reduce((n, s) => n + s.size, 0);
    const start = STM32_BANKS[target].base;
    if (!mcu.flash.isErased(start, span)) mcu.print(`Erase Error in address: 0x${hex8(start)}\r\n`);
    this.session = {
      target,
      end: OTHER_BANK_ALIAS + span,
      writeAddr: OTHER_BANK_ALIAS,
      ...(this.opts.variant !== 'vector-table-first' && { hold: Buffer.alloc(SECTOR0, 0xff) }),
    };
    mcu.emit({ kind: 'phase', name: 'write', detail: target });
    this.send(SfuCode.ERASE, body.subarray(0, 4));
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

  /**
   * Word programs straight to flash, a WRITE's run of words as one operation (the model's cost
   * scales with operations, the device's time with words); the vector-table sector goes to RAM instead.
   */
  private async program(s: Session, alias: number, data: Buffer): Promise<void> {
    const flash = this.mcu.flash;
    for (let pos = 0; pos < data.length;) {
      const at = alias + pos;
      const offset = at - OTHER_BANK_ALIAS;
      const n = Math.min(BURST - (offset % BURST), data.length - pos);
      const chunk = data.subarray(pos, pos + n);
      if (s.hold && offset < SECTOR0) chunk.copy(s.hold, offset);
      else await this.mcu.flashOp(flash.program(this.physical(s, at), chunk));
      pos += n;
    }
  }

  /** The image as the bank will hold it: flash, with the held sector on top. */
  private compose(s: Session, count: number): Buffer {
    const image = this.mcu.flash.read(STM32_BANKS[s.target].base, count);
    s.hold?.copy(image, 0, 0, Math.min(count, SECTOR0));
    return image;
  }

  private async start(body: Buffer): Promise<void> {
    const { mcu } = this;
    const expected = decodeStartRequest(body);
    if (expected === undefined) return;
    const s = this.session;
    this.session = undefined;
    if (s && this.opts.variant === 'bfb2-before-verify') await this.selectBank(s.target); // the seeded bug
    const count = ((s?.writeAddr ?? 0) - OTHER_BANK_ALIAS) >>> 0;
    const image = s ? this.compose(s, count) : Buffer.alloc(0);
    mcu.emit({ kind: 'phase', name: 'verify', detail: `${count} bytes` });
    await mcu.sleep((image.length / 1024) * VERIFY_MS_PER_KIB);
    const crc = sfuCrc(image);
    this.send(SfuCode.START, encodeStartReply({ slotBase: OTHER_BANK_ALIAS, count, crc }));
    if (!s) return;
    if (crc >>> 0 !== expected >>> 0) {
      mcu.print('CRC != NEED\r\n');
      return;
    }
    const problem = imageProblem(image);
    if (problem) {
      mcu.print(`IMAGE INVALID: ${problem}\r\n`);
      return;
    }
    await mcu.printBlocking('\r\nCRC OK\r\n');
    if (!(await this.commit(s, image))) return;
    await this.selectBank(s.target);
    await mcu.printBlocking('reset\r\n');
    this.resetNow();
  }

  /** NVIC system reset: the boot chain starts over, and this program must not run on beside it. */
  private resetNow(): never {
    this.mcu.reset(this.opts.reboot);
    throw new PowerLost();
  }

  /** Writes the held vector-table sector (see the file comment for the order); false if its read-back fails. */
  private async commit(s: Session, image: Buffer): Promise<boolean> {
    const { mcu } = this;
    const flash = mcu.flash;
    const phys = STM32_BANKS[s.target].base;
    mcu.emit({ kind: 'phase', name: 'commit', detail: s.target });
    if (s.hold) {
      const held = Math.min(image.length, SECTOR0);
      const rowCommit = this.opts.variant === 'vector-row-commit';
      for (let row = 0; row < held; row += ROW) {
        if (row >= HDR_FROM && row < HDR_TO) continue;
        const from = row === 0 ? (rowCommit ? ROW : WORD) : row;
        const to = Math.min(row + ROW, held);
        if (from < to) await mcu.flashOp(flash.program(phys + from, image.subarray(from, to)));
      }
      const back = flash.read(phys, held);
      const expect = Buffer.from(image.subarray(0, held));
      expect.fill(0xff, HDR_FROM, HDR_TO);
      expect.fill(0xff, 0, rowCommit ? ROW : WORD);
      if (!back.equals(expect)) {
        mcu.print('COMMIT FAILED: the vector-table sector does not read back\r\n');
        return false;
      }
      for (let row = HDR_FROM; row < HDR_TO && row < held; row += ROW) await mcu.flashOp(flash.program(phys + row, image.subarray(row, row + ROW)));
      await mcu.flashOp(flash.program(phys, image.subarray(0, rowCommit ? ROW : WORD)));
    }
    if (!flash.read(phys, image.length).equals(image)) {
      mcu.print(`COMMIT FAILED: ${s.target} does not read back\r\n`);
      return false;
    }
    mcu.print(`COMMIT ${s.target}\r\n`);
    return true;
  }

  /** Sets BFB2 for bank 2, clears it for bank 1; nothing to program when it already says so. */
  private async selectBank(target: Stm32BankName): Promise<void> {
    const { mcu, opts } = this;
    const want = target === 'bank2';
    mcu.emit({ kind: 'phase', name: 'bfb2', detail: `${want ? 'set' : 'clear'} for ${target}` });
    if (opts.options.bfb2 !== want) await mcu.flashOp(opts.options.programBfb2(want));
    await mcu.printBlocking(`boot ${target} selected (BFB2=${want ? 1 : 0})\r\n`);
  }

  // ---- repair-moves-boot only ----

  /**
   * The seeded bug's "repair": a half-written other bank (present, not a valid image) is
   * overwritten with a copy of the running image, and the boot is moved to that copy first.
   */
  private async repairOtherBank(): Promise<void> {
    const { mcu } = this;
    const flash = mcu.flash;
    const other = otherBank(this.bank);
    const otherBase = STM32_BANKS[other].base;
    if (flash.isErased(otherBase, STM32F429.bankSize)) return;
    const otherLen = headerLength(flash.read(otherBase, STM32_IMAGE_LAYOUT.appInfoOffset));
    if (otherLen !== undefined && imageProblem(flash.read(otherBase, otherLen)) === undefined) return;
    const ownLen = headerLength(flash.read(this.base, STM32_IMAGE_LAYOUT.appInfoOffset));
    if (ownLen === undefined) return;
    const image = flash.read(this.base, ownLen);
    mcu.print(`repair: ${other} is half-written, copying ${this.bank} over it\r\n`);
    mcu.emit({ kind: 'phase', name: 'repair', detail: `${this.bank} -> ${other}` });
    await this.selectBank(other); // the bug: the boot points at the copy before it exists
    let covered = 0;
    for (const s of STM32_SECTORS.filter((x) => x.bank === other)) {
      if (covered >= ownLen) break;
      await mcu.flashOp(flash.erase(s.address, s.size));
      covered += s.size;
    }
    for (let off = WORD; off < ownLen;) {
      const n = Math.min((off < ROW ? ROW : BURST) - (off % (off < ROW ? ROW : BURST)), ownLen - off);
      await mcu.flashOp(flash.program(otherBase + off, image.subarray(off, off + n)));
      off += n;
    }
    await mcu.flashOp(flash.program(otherBase, image.subarray(0, WORD)));
    await mcu.printBlocking('repair done, reset\r\n');
    this.resetNow();
  }
}
