import {
  Bin2PageDecoder,
  DeviceFrameReceiver,
  SfuCode,
  decodeEraseRequest,
  decodeWriteRequest,
  encodeFrame,
  encodeInfoReply,
  encodeStartReply,
  encodeWriteReply,
  sfuCrc,
} from '../../protocols/sfu/index.js';
import { RP2040, SFU_SLOTS, SFU_SLOT_SIZE, type SfuSlotMap } from '../../targets/rp2040.js';
import type { Mcu } from '../mcu.js';
import type { SfuVariant } from './variants.js';
import { hexDigits as hex8 } from '../../core/hex.js';

const PACKET_TIMEOUT_MS = 500;
const BOOT_WINDOW_MS = 2000;
const RX_RING = 0x2_0000;
/** Reading and CRC-ing the 1980 KiB slot through XIP: a few tens of ms on a 125 MHz RP2040 (inferred). */
const SLOT_CRC_MS = 40;
const SLOTS: readonly SfuSlotMap[] = [SFU_SLOTS.A, SFU_SLOTS.B];
const NAMES = ['A', 'B'] as const;

export interface SfuBootloaderOptions {
  variant: SfuVariant;
  /** Runs the application found in a slot; called after `CONTEXT OK`. */
  runApp(mcu: Mcu, slot: SfuSlotMap): Promise<void>;
}

/**
 * The RP2040-SFU bootloader (reference/sfu-protocol.md §1–§3, §6), as one power-on of the
 * MCU: everything in `this` is RAM and dies with the power.
 */
export class SfuBootloader {
  private selector = 0;
  private updateStarted = false;
  private writeAddr = 0;
  private writeAddrReal = 0;
  private writeError = false;
  private streamCrc = 0xffffffff;
  private maxTimestamp = 0;
  private mainValid = false;
  private decoder = new Bin2PageDecoder({ shift: false });
  private readonly rx = new DeviceFrameReceiver();
  private stats = { timeouts: 0, good: 0, over: 0 };

  constructor(
    private readonly mcu: Mcu,
    private readonly opts: SfuBootloaderOptions,
  ) {}

  static program(opts: SfuBootloaderOptions): (mcu: Mcu) => Promise<void> {
    return (mcu) => new SfuBootloader(mcu, opts).main();
  }

  async main(): Promise<void> {
    const mcu = this.mcu;
    mcu.emit({ kind: 'boot', image: 'bootloader' });
    this.send(SfuCode.HWRESET);
    mcu.print('\nfind_latest_variant\n');
    await this.findLatestVariant();
    for (;;) {
      await this.receiveWindow();
      if (this.updateStarted) await this.findLatestVariant();
      if (this.mainValid) await this.mainStart(this.selector);
    }
  }

  // ---- boot selection (§3.3) ----

  private async findLatestVariant(): Promise<void> {
    const { mcu } = this;
    const flash = mcu.flash;
    if (this.opts.variant === 'boot-unsigned-target') {
      const pending = flash.read(RP2040.firstStartFlag + 1, 1)[0]!;
      if (pending === 0 || pending === 1) {
        // The seeded bug: trust the remembered target without its signature.
        mcu.print(`Variant ${NAMES[pending]} pending, selected\n`);
        this.selector = pending;
        this.mainValid = true;
        return;
      }
    }
    if (flash.read(RP2040.firstStartFlag, 1)[0] === 0xff) {
      mcu.print('check_first_start_once unset\n');
      await mcu.flashOp(flash.program(RP2040.firstStartFlag, Buffer.from([0x00])));
      await this.eraseSignBlock(1);
      await this.eraseSignBlock(0);
      this.selector = 0;
      this.maxTimestamp = 0;
      if (this.checkRunContext(0, false)) {
        await this.sign(0);
        this.mainValid = true;
      } else {
        mcu.print('Fisrt start, context erorr, no any variant\n');
        this.mainValid = false;
      }
      return;
    }
    const meta = SLOTS.map((s) => flash.read(s.metaBase, 8));
    const crc = meta.map((m) => m.readUInt32LE(0));
    const ts = meta.map((m) => m.readUInt32LE(4));
    mcu.print(`tstamp_a\t${hex8(ts[0]!)}\ntstamp_b\t${hex8(ts[1]!)}\ncrc32_a \t${hex8(crc[0]!)}\ncrc32_b \t${hex8(crc[1]!)}\n\n`);
    const signed = ts.map((t) => t !== 0xffffffff);
    this.mainValid = false;
    if (signed[0] && signed[1]) {
      const first = ts[1]! > ts[0]! ? 1 : 0;
      this.maxTimestamp = ts[first]!;
      mcu.print(`Check Variant ${NAMES[first]}: `);
      if (await this.slotCrcOk(first, crc[first]!)) {
        mcu.print('GOOD, selected from two\n');
        this.select(first);
      } else {
        mcu.print('Broken\n  ...Check another Variant: ');
        const other = first ^ 1;
        if (await this.slotCrcOk(other, crc[other]!)) {
          mcu.print('GOOD, selected from two\n');
          this.select(other);
        } else {
          mcu.print('Broken also\n');
        }
      }
    } else if (signed[0] || signed[1]) {
      const only = signed[0] ? 0 : 1;
      this.maxTimestamp = ts[only]!;
      if (await this.slotCrcOk(only, crc[only]!)) {
        mcu.print(`Variant ${NAMES[only]} selected as single\n`);
        this.select(only);
      } else {
        mcu.print(`Variant ${NAMES[only]} is single, but also broken\n`);
      }
    } else {
      this.maxTimestamp = 0;
      mcu.print('No any variant\n');
    }
  }

  private select(slot: number): void {
    this.selector = slot;
    this.mainValid = true;
  }

  private async slotCrcOk(slot: number, stored: number): Promise<boolean> {
    await this.mcu.sleep(SLOT_CRC_MS);
    const s = SLOTS[slot]!;
    return this.mcu.flash.crc32(s.base, SFU_SLOT_SIZE) === stored >>> 0;
  }

  private async eraseSignBlock(slot: number): Promise<void> {
    const { mcu } = this;
    mcu.print(`erase sign block #${slot}\n`);
    await mcu.flashOp(mcu.flash.erase(SLOTS[slot]!.metaBase, 4096));
    mcu.print(`erase sign block #${slot} DONE\n`);
  }

  /** add_sign_crc: IEEE CRC of the whole slot area as it is in flash, generation max+1. */
  private async sign(slot: number): Promise<void> {
    const { mcu } = this;
    const s = SLOTS[slot]!;
    mcu.emit({ kind: 'phase', name: 'sign', detail: NAMES[slot] });
    await mcu.sleep(SLOT_CRC_MS);
    const crc = mcu.flash.crc32(s.base, SFU_SLOT_SIZE);
    if (!mcu.flash.isErased(s.metaBase, 4096)) await mcu.flashOp(mcu.flash.erase(s.metaBase, 4096));
    const page = Buffer.alloc(256, 0xff);
    page.writeUInt32LE(crc, 0);
    // The seeded bug: the new generation equals the running one, so the tie goes to A.
    const generation = this.opts.variant === 'generation-not-incremented' ? Math.max(1, this.maxTimestamp) : this.maxTimestamp + 1;
    page.writeUInt32LE(generation >>> 0, 4);
    await mcu.flashOp(mcu.flash.program(s.metaBase, page));
    await mcu.printBlocking('NEW CRC32 IEEE802.3 SIGNED\n');
  }

  // ---- vector check and jump (§3.4, §3.5) ----

  private checkRunContext(slot: number, quiet: boolean, sp?: number, pc?: number): boolean {
    const s = SLOTS[slot]!;
    sp ??= this.mcu.flash.readU32(s.runFrom);
    pc ??= this.mcu.flash.readU32(s.runFrom + 4);
    const spOk = !(((sp & 0xff000000) >>> 0 !== 0x20000000 && (sp <= RP2040.sramBase || sp > RP2040.sramTop)) || sp % 4 !== 0);
    if (!spOk) {
      if (!quiet) this.mcu.print('Bootloader: STACK CONTEXT ERROR\n');
      return false;
    }
    const pcOk = !(pc <= s.runFrom || pc >= s.metaBase || pc % 2 === 0);
    if (!pcOk) {
      if (!quiet) this.mcu.print('Bootloader: FLASH CONTEXT ERROR\n');
      return false;
    }
    return true;
  }

  private async mainStart(slot: number): Promise<void> {
    const { mcu } = this;
    if (!this.checkRunContext(slot, false)) {
      mcu.print('CONTEXT ERROR\n');
      return;
    }
    mcu.print('CONTEXT OK\n\n');
    await mcu.sleep(1.5);
    mcu.emit({ kind: 'boot', image: 'app', slot: NAMES[slot] });
    await this.opts.runApp(mcu, SLOTS[slot]!);
  }

  // ---- receiver and timeouts (§1.4, §1.5) ----

  private async receiveWindow(): Promise<void> {
    const { mcu } = this;
    let timeouts = 0;
    let deadline = mcu.clock.now() + PACKET_TIMEOUT_MS;
    let nextStats = mcu.clock.now() + 1000;
    while (timeouts * PACKET_TIMEOUT_MS < BOOT_WINDOW_MS) {
      const data = mcu.takeRx();
      if (data) {
        for (const ev of this.rx.push(data)) {
          if (ev.type === 'packet') {
            this.stats.good++;
            await this.dispatch(ev.code, ev.body);
          } else {
            mcu.print(ev.text);
          }
          deadline = mcu.clock.now() + PACKET_TIMEOUT_MS;
        }
        continue;
      }
      const now = mcu.clock.now();
      if (now >= nextStats) {
        this.printStats();
        nextStats = now + 1000;
      }
      const got = await mcu.waitRx(Math.max(0, Math.min(deadline, nextStats) - now));
      if (!got && mcu.clock.now() >= deadline) {
        timeouts++;
        this.stats.timeouts++;
        this.rx.reset();
        this.commandTimeout();
        deadline = mcu.clock.now() + PACKET_TIMEOUT_MS;
      }
    }
  }

  private printStats(): void {
    const s = this.rx.stats;
    this.mcu.print([this.mcu.rxOverflows, 0, 0, '', this.stats.timeouts, s.overfull, '', s.goodPackets, s.startHuntBytes, s.codeErrors, s.sizeErrors, s.crcErrors].join('\t') + '\n');
  }

  private commandTimeout(): void {
    if (this.writeAddr === 0) return;
    this.writeAddr = 0;
    this.updateStarted = false;
    this.send(SfuCode.TIMEOUT, Buffer.alloc(4));
  }

  private send(code: number, body?: Uint8Array): void {
    this.mcu.uartTx(encodeFrame('device', code, body));
  }

  // ---- commands (§2) ----

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
      case SfuCode.SPEED:
        return this.speed(body);
      default:
        return; // unknown codes are accepted and ignored (§1.4)
    }
  }

  private info(): void {
    // Offsets 24/28 are computed with the selector flipped: they name the next ERASE target.
    const next = this.selector ^ 1;
    if (this.opts.variant === 'erase-running-slot') this.selector = next; // the seeded bug: never flipped back
    const target = SLOTS[next]!;
    this.send(
      SfuCode.INFO,
      encodeInfoReply({
        deviceId: Buffer.from('RP2040_2Page', 'latin1'),
        cpuType: 0x20400040,
        slotKib: SFU_SLOT_SIZE / 1024,
        sfuVersion: 0x0200,
        rxBufferSize: RX_RING,
        mainStartFrom: target.base,
        mainRunFrom: target.runFrom,
      }),
    );
  }

  private async erase(body: Buffer): Promise<void> {
    const { mcu } = this;
    const size = decodeEraseRequest(body);
    if (size === undefined) return;
    if (size > SFU_SLOT_SIZE) {
      mcu.print('ERROR: Erase size too big!\n');
      this.send(SfuCode.WRERROR);
      return;
    }
    if (size === 0) {
      this.send(SfuCode.ERASE);
      return;
    }
    this.selector ^= 1;
    this.updateStarted = true;
    this.streamCrc = 0xffffffff;
    this.decoder = new Bin2PageDecoder({ shift: this.selector === 1 });
    const slot = SLOTS[this.selector]!;
    mcu.emit({ kind: 'phase', name: 'erase', detail: NAMES[this.selector] });
    if (this.opts.variant === 'boot-unsigned-target') await this.rememberTarget(this.selector);
    await this.eraseSignBlock(this.selector);
    let blocks = 0;
    for (let pos = 0; pos < size; pos += 0x1_0000) {
      await mcu.flashOp(mcu.flash.erase(slot.base + pos, 0x1_0000));
      const part = Buffer.alloc(4);
      part.writeUInt32LE(++blocks, 0);
      this.send(SfuCode.ERASE_PART, part);
    }
    const span = blocks * 0x1_0000;
    if (!mcu.flash.isErased(slot.base, span)) mcu.print(`Erase Error in address: 0x${hex8(slot.base)}\n`);
    this.writeAddr = this.writeAddrReal = slot.base;
    mcu.emit({ kind: 'phase', name: 'write', detail: NAMES[this.selector] });
    this.send(SfuCode.ERASE, body.subarray(0, 4));
  }

  /** boot-unsigned-target only: NV byte 1 = the slot being written. */
  private async rememberTarget(slot: number): Promise<void> {
    const flash = this.mcu.flash;
    if (flash.read(RP2040.firstStartFlag + 1, 1)[0] !== 0xff) {
      await this.mcu.flashOp(flash.erase(RP2040.firstStartFlag, 4096));
      await this.mcu.flashOp(flash.program(RP2040.firstStartFlag, Buffer.from([0x00])));
    }
    await this.mcu.flashOp(flash.program(RP2040.firstStartFlag + 1, Buffer.from([slot])));
  }

  private async forgetTarget(): Promise<void> {
    const flash = this.mcu.flash;
    if (flash.read(RP2040.firstStartFlag + 1, 1)[0] === 0xff) return;
    await this.mcu.flashOp(flash.erase(RP2040.firstStartFlag, 4096));
    await this.mcu.flashOp(flash.program(RP2040.firstStartFlag, Buffer.from([0x00])));
  }

  private replyWriteStatus(): void {
    this.send(SfuCode.WRITE, encodeWriteReply({ nextAddr: this.writeAddr, rxBacklog: this.mcu.rxPending }));
  }

  private async write(body: Buffer): Promise<void> {
    if (body.length <= 4) return this.replyWriteStatus();
    if (this.writeAddr >>> 24 !== 0x10) {
      this.send(SfuCode.WRERROR);
      return;
    }
    const { addr, data } = decodeWriteRequest(body);
    if (addr === this.writeAddr) {
      this.streamCrc = sfuCrc(data, this.streamCrc);
      for (let off = 0; off < data.length; off += 256) {
        let chunk = data.subarray(off, off + 256);
        if (chunk.length < 256) chunk = Buffer.concat([chunk, Buffer.alloc(256 - chunk.length, 0xff)]);
        const out = this.decoder.pushChunk(chunk);
        if (out.message) this.mcu.print(out.message);
        for (const page of out.pages) await this.writePage(page);
        if (this.writeError) {
          this.send(SfuCode.WRERROR);
          return;
        }
      }
      this.writeAddr += data.length;
    }
    this.replyWriteStatus();
  }

  /** sfu_real_writer: programs one decoded page at writeAddrReal after its checks. */
  private async writePage(page: Buffer): Promise<void> {
    const { mcu } = this;
    const slot = SLOTS[this.selector]!;
    if (!this.updateStarted) {
      mcu.print('ERROR: write without erase not allowed!\n');
      this.writeError = true;
      return;
    }
    const at = this.writeAddrReal;
    if (at <= slot.runFrom && at + 256 > slot.runFrom) {
      const o = slot.runFrom - at;
      if (o + 8 <= 256 && !this.checkRunContext(this.selector, false, page.readUInt32LE(o), page.readUInt32LE(o + 4))) {
        mcu.print('ERROR: Starting context wrong!\n');
        this.writeError = true;
        return;
      }
    }
    if (at + 256 > slot.metaBase) {
      mcu.print('ERROR: write out of slot range!\n');
      this.writeError = true;
      return;
    }
    await mcu.flashOp(mcu.flash.program(at, page));
    this.writeAddrReal = at + 256;
  }

  private async start(body: Buffer): Promise<void> {
    const { mcu } = this;
    if (body.length !== 4) return;
    const expected = body.readUInt32LE(0);
    const slotIndex = this.selector;
    const slot = SLOTS[slotIndex]!;
    const crcOk = () => this.streamCrc >>> 0 === expected >>> 0;
    let errors = 0;
    const flush = async () => {
      const fin = this.decoder.finish();
      // Blocking prints, as on the device: they take wire time before the last page is written.
      if (fin.paddingAdded) await mcu.printBlocking(`bin2page_finish: ${fin.paddingAdded} bytes padding added\n`);
      if (fin.errors) await mcu.printBlocking(`bin2page_finish: Finished with ${fin.errors} errors\n`);
      for (const page of fin.pages) await this.writePage(page);
      errors = fin.errors;
    };
    const signFirst = this.opts.variant === 'sign-before-flush' && this.updateStarted && crcOk();
    if (signFirst) {
      await mcu.printBlocking('\nCRC OK\n');
      await this.sign(slotIndex);
    }
    await flush();
    this.send(SfuCode.START, encodeStartReply({ slotBase: slot.base, count: (this.writeAddr - slot.base) >>> 0, crc: this.streamCrc >>> 0 }));
    this.writeAddr = 0;
    this.writeAddrReal = 0;
    this.writeError = false;
    this.updateStarted = false;
    if (errors) {
      mcu.print('bin2page_errors!\n');
      return;
    }
    if (!crcOk()) {
      mcu.print('CRC != NEED\n');
      return;
    }
    if (!signFirst) {
      await mcu.printBlocking('\nCRC OK\n');
      await this.sign(slotIndex);
    }
    if (this.opts.variant === 'boot-unsigned-target') await this.forgetTarget();
    await this.mainStart(slotIndex);
  }

  private speed(body: Buffer): void {
    if (body.length === 0) {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(921600, 0);
      this.send(SfuCode.SPEED, b);
    } else if (body.length === 4) {
      // The twin's transports do not model a baud switch: answer as a device that stays at 921600.
      const baud = body.readUInt32LE(0);
      const b = Buffer.alloc(8);
      b.writeUInt32LE(921600, 0);
      b.writeUInt32LE(baud, 4);
      this.send(SfuCode.SPEED, b);
    } else {
      this.send(SfuCode.WRERROR);
    }
  }
}
