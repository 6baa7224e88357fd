import type { Clock } from '../../core/clock.js';
import { PRODUCT_REGIONS, PRODUCT_SHARED_NOR } from '../../targets/nrf91-nrf52-product.js';
import type { FlashGeometry } from '../flash/geometry.js';
import { FlashError, NorFlash, type FlashOp } from '../flash/nor-flash.js';
import type { PowerLossMode } from '../flash/power-loss.js';
import type { Mcu } from '../mcu.js';
import type { Rng } from '../rng.js';
import { LockLine, type LockProtocol } from './lock-line.js';

/** SPI clock both masters run the bus at (Zephyr's spi-nor at 8 MHz on these boards; a figure, not a datasheet limit). */
export const SPI_CLOCK_HZ = 8_000_000;

/** The shared NOR of the product (W25Q32JV-like) at its virtual base (src/targets/nrf91-nrf52-product.ts). */
export const SHARED_NOR_GEOMETRY: FlashGeometry = { ...PRODUCT_SHARED_NOR, base: PRODUCT_REGIONS['shared-flash'].base };

/** Opcode and address bytes before a transaction's data: READ 03h + 3; WREN 06h, then PP 02h / SE 20h + 3. */
const HEADER = { read: 4, program: 5, erase: 5 } as const;
const CMD = { read: 0x03, program: 0x02, erase: 0x20 } as const;
const WREN = 0x06;

type TxnKind = 'read' | 'program' | 'erase';

/** One master's transaction: its bytes on the wire (header, then data) and what the flash makes of it. */
interface Txn {
  port: PortImpl;
  kind: TxnKind;
  address: number;
  start: number;
  busEnd: number;
  /** When the flash's WIP clears after it (= busEnd for a read or a command the flash never decoded). */
  busyEnd: number;
  /** The bytes a master drives on MOSI: header, then a program's data (a read's or an erase's stop at the header: a read clocks zeros out). */
  wire: Buffer;
  /** Bytes on the wire in all: header, then the data (a read's clocked in on MISO). */
  wireLength: number;
  /** The flash decoded no command from it: a garbled header, or issued while busy or mid-command. */
  lost: boolean;
  /** A read's received bits the other master's clock edges flipped (XOR mask over its data). */
  flips?: Buffer;
  /** A lost read: what MISO carried instead of the data. */
  floating?: Buffer;
}

/**
 * A port of one master on the shared bus: what its flash driver does. Addresses are the flash's
 * own (its geometry base: the product's virtual 0x0020_0000 + SPI address).
 */
export interface SpiPort {
  readonly name: string;
  readonly mcu: Mcu;
  readonly bus: SharedSpiFlash;
  /** Read `length` bytes: one READ transaction, its bytes on the bus for their transfer time. */
  read(address: number, length: number): Promise<Buffer>;
  /** Page programs of at most 256 bytes each (split at page boundaries), each an mcu.flashOp. */
  program(address: number, data: Uint8Array): Promise<void>;
  /** 4 KiB sector erases over a sector-aligned range, each an mcu.flashOp. */
  erase(address: number, length: number): Promise<void>;
  /** Takes the lock (the seed's check-then-assert), runs `fn`, releases it; nested calls run inside the held lock. */
  withLock<T>(fn: () => Promise<T>): Promise<T>;
  take(): Promise<void>;
  release(): void;
  readonly holdsLock: boolean;
}

/**
 * The shared SPI NOR of a multi-processor board (seed 000) on a bus two MCUs master, with the
 * GPIO lock line the masters' drivers negotiate it with. The lock is only a protocol: the bus
 * itself lets any master start a transaction at any time, and what the flash sees then is what
 * a real shared bus gives it.
 *
 * The bus model (an SPI transaction is CS low, opcode + address, data, CS high; every byte takes
 * 8 SPI clocks at SPI_CLOCK_HZ):
 * - A transaction that starts while another master's is still on the wire collides. From that
 *   byte on, both masters drive MOSI and SCK: each byte the flash clocks in is the AND of the two
 *   masters' bytes (the low driver wins the contention) with, half the time, one bit flipped by
 *   the other clock's extra edges (drawn from the colliding master's seeded generator). If the
 *   overlap reaches the first transaction's opcode or address, the flash decodes no command
 *   from it (nothing happens); otherwise a page program lands with its data so corrupted, and a
 *   read (whose MOSI the flash ignores) gets one bit flipped in each byte of the overlap, the
 *   extra clock edges shifting the flash's bit count. The second transaction is never decoded
 *   (the flash is mid-command): its program or erase does nothing, its read returns random bytes
 *   over the overlap and then 0xFF (MISO floats high on the pulled-up line). The first transaction
 *   keeps its length (the model does not end it at the second master's CS edge).
 * - While a page program or erase runs (WIP set, tPP 0.7 ms / tSE 45 ms), the W25Q32JV ignores
 *   every instruction but Read Status and Suspend: a program or erase then does nothing and a
 *   read returns 0xFF; the issuing driver polls WIP until the other master's operation ends and
 *   believes its own is done.
 * - A master that loses its program (power cut, reset) lets go of the bus and the lock at once.
 * Masters that keep to the lock never overlap, so nothing of this happens to them.
 *
 * Each program or erase is an mcu.flashOp of the master that issued it: a power cut lands in it
 * with the flash's own physics (a cut during the transfer, before the program starts, changes
 * nothing), and a sweep's op recorder logs it with that master's name.
 */
export class SharedSpiFlash {
  readonly flash: NorFlash;
  readonly lock: LockLine;
  /** Milliseconds one byte takes on the bus. */
  readonly byteMs: number;
  private readonly clock: Clock;
  private active: Txn[] = [];
  private readonly ports = new Map<string, PortImpl>();
  /** The master whose op the flash is counting now (its flash event goes to that master's stream). */
  private issuer?: Mcu;
  /** Transactions that overlapped another master's on the wire. */
  collisions = 0;
  /** Commands the flash ignored because another master's program or erase was running. */
  ignoredWhileBusy = 0;

  constructor(opts: { clock: Clock; geometry?: FlashGeometry; flash?: NorFlash; clockHz?: number; lock?: { protocol?: LockProtocol; priority?: readonly string[] } }) {
    this.clock = opts.clock;
    this.lock = new LockLine(opts.lock?.protocol, opts.lock?.priority);
    this.flash = opts.flash ?? new NorFlash(opts.geometry ?? SHARED_NOR_GEOMETRY);
    this.byteMs = 8000 / (opts.clockHz ?? SPI_CLOCK_HZ);
    this.flash.onOp = (op) => this.issuer?.emit({ kind: 'flash', op: op.kind, address: op.address, length: op.length, index: op.index });
  }

  /**
   * A master's port: `name` (default its Mcu's name) holds the lock and names it in lock events.
   * One per master: a program that asks at every boot gets the same port (its hold survives no reset).
   */
  port(mcu: Mcu, name = mcu.name): SpiPort {
    if (!name) throw new Error('a bus master needs a name (Mcu option name, or pass one)');
    let port = this.ports.get(name);
    if (port && port.mcu !== mcu) throw new Error(`bus master '${name}' is another MCU already`);
    if (!port) this.ports.set(name, (port = new PortImpl(this, mcu, name)));
    return port;
  }

  /** Nobody holds or asks for the lock and no transaction is on the wire or keeps the flash busy. */
  idle(): boolean {
    const now = this.clock.now();
    return this.lock.holder === null && !this.lock.requested && !this.active.some((t) => t.busyEnd > now);
  }

  /** The board is powered down and rebuilt (a sweep's restore): no transaction, nobody on the lock line. */
  reset(): void {
    this.active = [];
    this.lock.reset();
  }

  /** @internal A transaction of `port` starts now. */
  begin(port: PortImpl, kind: TxnKind, address: number, data: Uint8Array | number): Txn {
    const now = this.clock.now();
    let kept = 0;
    for (const t of this.active) if (t.busyEnd > now && t.port !== port) this.active[kept++] = t;
    this.active.length = kept;
    const n = typeof data === 'number' ? data : data.length;
    const wireLength = HEADER[kind] + (kind === 'erase' ? 0 : n);
    const wire = Buffer.alloc(kind === 'program' ? wireLength : HEADER[kind]);
    let h = 0;
    if (kind !== 'read') wire[h++] = WREN;
    wire[h++] = CMD[kind];
    const spi = address - this.flash.base;
    wire[h++] = (spi >>> 16) & 0xff;
    wire[h++] = (spi >>> 8) & 0xff;
    wire[h++] = spi & 0xff;
    if (typeof data !== 'number' && kind === 'program') wire.set(data, h);
    const busEnd = now + wireLength * this.byteMs;
    const txn: Txn = { port, kind, address, start: now, busEnd, busyEnd: busEnd, wire, wireLength, lost: false };
    const rng = port.mcu.rng;
    for (const other of this.active) {
      if (other.busEnd > now) {
        this.collide(other, txn, rng);
        port.mcu.emit({ kind: 'bus-conflict', conflict: 'collision', op: kind, address, other: other.port.name });
        break;
      }
    }
    if (!txn.lost) {
      const busy = this.active.find((t) => !t.lost && t.kind !== 'read' && t.busyEnd > now);
      if (busy) {
        txn.lost = true;
        this.ignoredWhileBusy++;
        if (kind !== 'read') txn.busyEnd = Math.max(busEnd, busy.busyEnd);
        port.mcu.emit({ kind: 'bus-conflict', conflict: 'busy', op: kind, address, other: busy.port.name });
      }
    }
    if (kind === 'read' && txn.lost) txn.floating ??= Buffer.alloc(n, 0xff);
    if (!txn.lost && kind !== 'read') {
      const g = this.flash.geometry;
      txn.busyEnd = busEnd + (kind === 'program' ? g.programMs : g.eraseUnits.find((u) => u.size === n)!.ms);
    }
    this.active.push(txn);
    return txn;
  }

  /** `late` starts while `early` is on the wire (see the class comment). */
  private collide(early: Txn, late: Txn, rng: Rng): void {
    this.collisions++;
    const p = Math.floor((late.start - early.start) / this.byteMs);
    const m = Math.min(early.wireLength - p, late.wireLength);
    const header = HEADER[early.kind];
    if (p < header) {
      // The opcode or address garbled: the flash decodes nothing it acts on, and is not busy after it.
      early.lost = true;
      early.busyEnd = early.busEnd;
    } else if (early.kind === 'read') {
      const flips = (early.flips ??= Buffer.alloc(early.wireLength - header));
      for (let i = 0; i < m; i++) flips[p - header + i]! ^= 1 << Math.floor(rng.next() * 8);
    } else {
      for (let i = 0; i < m; i++) {
        let b = early.wire[p + i]! & (late.wire[i] ?? 0);
        if (rng.next() < 0.5) b ^= 1 << Math.floor(rng.next() * 8);
        early.wire[p + i] = b;
      }
    }
    late.lost = true;
    // The late master's command was never decoded: it waits out the early one's WIP if it polls.
    if (late.kind === 'read') {
      const floating = Buffer.alloc(late.wireLength - HEADER.read, 0xff);
      for (let i = 0; i < Math.min(m, floating.length); i++) floating[i] = Math.floor(rng.next() * 256);
      late.floating = floating;
    } else if (!early.lost && early.kind !== 'read') late.busyEnd = Math.max(late.busEnd, early.busyEnd);
  }

  /** @internal What a finished read brought back. */
  received(txn: Txn, length: number): Buffer {
    if (txn.floating) return txn.floating;
    const out = this.flash.read(txn.address, length);
    if (txn.flips) for (let i = 0; i < length; i++) out[i]! ^= txn.flips[i]!;
    return out;
  }

  /** @internal The master whose op the flash counts next. */
  issue<T>(mcu: Mcu, fn: () => T): T {
    this.issuer = mcu;
    try {
      return fn();
    } finally {
      this.issuer = undefined;
    }
  }

  /**
   * @internal The master saw `txn`'s op end (WIP clear): the flash is idle from now whatever the
   * nominal times said (a wall-clock twin's timers fire a little early or late).
   */
  finish(txn: Txn): void {
    const now = this.clock.now();
    txn.busEnd = Math.min(txn.busEnd, now);
    txn.busyEnd = Math.min(txn.busyEnd, now);
  }

  /** @internal `port`'s program is gone: its transactions leave the bus. */
  drop(port: PortImpl): void {
    const now = this.clock.now();
    for (const t of this.active) {
      if (t.port !== port) continue;
      t.busEnd = Math.min(t.busEnd, now);
      t.busyEnd = Math.min(t.busyEnd, now);
    }
  }
}

class PortImpl implements SpiPort {
  private holdToken = 0;

  constructor(
    readonly bus: SharedSpiFlash,
    readonly mcu: Mcu,
    readonly name: string,
  ) {
    mcu.onProgramLost(() => {
      this.holdToken++;
      bus.lock.release(mcu, name);
      bus.drop(this);
    });
  }

  get holdsLock(): boolean {
    return this.bus.lock.holds(this.name);
  }

  async read(address: number, length: number): Promise<Buffer> {
    this.mcu.check();
    checkRange(this.bus.flash, address, length);
    const txn = this.bus.begin(this, 'read', address, length);
    await this.mcu.sleep(txn.busEnd - txn.start);
    this.bus.finish(txn);
    return this.bus.received(txn, length);
  }

  async program(address: number, data: Uint8Array): Promise<void> {
    const page = this.bus.flash.geometry.pageSize;
    const base = this.bus.flash.base;
    for (let at = 0; at < data.length;) {
      const addr = address + at;
      const n = Math.min(data.length - at, page - ((addr - base) % page));
      await this.mcu.flashOp(this.programOp(addr, data.subarray(at, at + n)));
      at += n;
    }
  }

  async erase(address: number, length: number): Promise<void> {
    const sector = this.bus.flash.geometry.sectorSize;
    if ((address - this.bus.flash.base) % sector || length % sector) throw new FlashError(`erase of ${length} bytes at 0x${address.toString(16)}: the driver erases whole ${sector}-byte sectors`);
    for (let at = address; at < address + length; at += sector) await this.mcu.flashOp(this.eraseOp(at, sector));
  }

  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    if (this.holdsLock) return fn();
    await this.take();
    const token = this.holdToken;
    try {
      return await fn();
    } finally {
      // A program that lost its state released the line already; its successor may hold it now.
      if (token === this.holdToken) this.release();
    }
  }

  async take(): Promise<void> {
    await this.bus.lock.take(this.mcu, this.name);
  }

  release(): void {
    this.bus.lock.release(this.mcu, this.name);
  }

  private programOp(address: number, data: Uint8Array): FlashOp {
    this.mcu.check();
    const flash = this.bus.flash;
    // The op is issued (counted, a marker edge in this master's stream) whatever the bus does to it.
    this.bus.issue(this.mcu, () => flash.countProgram(address, data.length));
    const txn = this.bus.begin(this, 'program', address, data);
    const busMs = txn.busEnd - txn.start;
    const end = () => this.bus.finish(txn);
    return busOp('program', address, data.length, txn.busyEnd - txn.start, busMs, end, () => (txn.lost ? undefined : flash.programUncounted(address, txn.wire.subarray(HEADER.program))));
  }

  private eraseOp(address: number, length: number): FlashOp {
    this.mcu.check();
    const flash = this.bus.flash;
    const counted = this.bus.issue(this.mcu, () => flash.erase(address, length));
    const txn = this.bus.begin(this, 'erase', address, length);
    const busMs = txn.busEnd - txn.start;
    const end = () => this.bus.finish(txn);
    return busOp('erase', address, length, txn.busyEnd - txn.start, busMs, end, () => (txn.lost ? undefined : counted.again!()));
  }
}

/**
 * A flash op as the bus delivers it: `land()` gives the op the flash runs when it runs (the bytes
 * the bus left it, read when it lands, since a later collision may still garble them), or nothing
 * when the flash never decoded the command. The flash starts only after the transfer (`busMs`).
 */
function busOp(kind: 'program' | 'erase', address: number, length: number, durationMs: number, busMs: number, end: () => void, land: () => FlashOp | undefined): FlashOp {
  let done = false;
  const once = () => {
    if (done) throw new FlashError(`${kind} at 0x${address.toString(16)} finished twice`);
    done = true;
  };
  return {
    kind,
    address,
    length,
    durationMs,
    complete: () => {
      once();
      end();
      land()?.complete();
    },
    interrupt: (mode: PowerLossMode, fraction: number, rng: Rng) => {
      once();
      const applied = mode === 'random' ? rng.pick(['skip', 'complete', 'torn'] as const) : mode;
      const op = land();
      if (!op || applied === 'skip') return applied;
      if (applied === 'complete') op.complete();
      else {
        // Torn: the flash started only after the transfer; a cut during it changes nothing.
        const run = (fraction * durationMs - busMs) / Math.max(durationMs - busMs, 1e-9);
        if (run > 0) op.interrupt('torn', Math.min(1, run), rng);
      }
      return applied;
    },
    again: () => {
      const op = land();
      const replay = op?.again?.();
      return busOp(
        kind,
        address,
        length,
        durationMs,
        busMs,
        () => undefined,
        () => replay,
      );
    },
  };
}

function checkRange(flash: NorFlash, address: number, length: number): void {
  if (address < flash.base || length < 0 || address + length > flash.base + flash.geometry.size) {
    throw new FlashError(`0x${address.toString(16)}+${length} is outside ${flash.geometry.name}`);
  }
}
