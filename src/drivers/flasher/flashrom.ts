/**
 * The shared SPI NOR of a product, read (and written) from the rig with the real `flashrom` binary:
 * on a Raspberry Pi through its SPI controller (`-p linux_spi:dev=/dev/spidev0.0,spispeed=8000`),
 * in tests through flashrom's dummy programmer emulating a Winbond part
 * (`-p dummy:emulate=W25Q128FV,image=FILE`).
 *
 * Why the MCUs are held in reset while it runs: the Pi becomes a third master on a bus the two MCUs
 * share. An MCU in reset leaves its SPI pins as inputs (high impedance), so the Pi's SCK/MOSI/CS are
 * the only drivers on the wires; a running MCU would drive them too (or take the lock line mid-read)
 * and corrupt both sides' transactions. The rig passes `holdBus`, which asserts every member's reset
 * line for the duration of one flashrom run and releases it afterwards.
 *
 * Addresses are the part's own (SPI address 0 = the chip's first byte). Every value from the rig
 * file is one argv element: nothing reaches a shell.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ConfigError, RigError } from '../../core/errors.js';
import type { Timeline } from '../../core/timeline.js';
import type { MemoryRegion, Probe, ProbeOptions } from '../capabilities.js';

export interface FlashromOptions {
  /** flashrom's `-p` argument. */
  programmer: string;
  /** flashrom's `-c`, when several chip definitions match the JEDEC ID. */
  chip?: string;
  /** Default 'flashrom'. */
  binary?: string;
  /** Per flashrom run. Default 60 s. */
  timeoutMs?: number;
  /** For messages: "shared flash reader". */
  name?: string;
  timeline?: Timeline;
  /** Takes the bus for one run (holds the MCUs in reset); resolves with the function that gives it back. */
  holdBus?: () => Promise<() => Promise<void>>;
}

/** What flashrom's output says went wrong, in the rig's words. */
export function flashromProblem(output: string): { blame: 'rig' | 'config'; text: string } | undefined {
  if (/No EEPROM\/flash device found/i.test(output)) {
    return { blame: 'rig', text: 'no flash chip answered on the SPI bus (wiring, power, or an MCU still driving the bus: are both held in reset?)' };
  }
  if (/Multiple flash chip definitions match/i.test(output)) {
    const names = [...output.matchAll(/"([^"]+)"/g)].map((m) => m[1]).join(', ');
    return { blame: 'config', text: `several chip definitions match the part (${names}): name one with shared.flash.reader.chip` };
  }
  const chipUnknown = /Error: Unknown chip '([^']*)'|No chip named ([^\s]+)/i.exec(output);
  if (chipUnknown) return { blame: 'config', text: `flashrom knows no chip ${JSON.stringify(chipUnknown[1] ?? chipUnknown[2])} (shared.flash.reader.chip)` };
  if (/Error: Unknown programmer|Unknown programmer/i.test(output)) return { blame: 'config', text: 'flashrom knows no such programmer (shared.flash.reader.programmer)' };
  if (/Cannot open|Permission denied|No such file or directory/i.test(output))
    return { blame: 'rig', text: 'the SPI device cannot be opened (is SPI enabled, dtparam=spi=on, and is the user in the spi group?)' };
  return undefined;
}

export class FlashromProbe implements Probe {
  private readonly name: string;

  constructor(private readonly opts: FlashromOptions) {
    this.name = opts.name ?? 'flashrom';
  }

  private async run(args: readonly string[], what: string, signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted();
    const argv = ['-p', this.opts.programmer, ...(this.opts.chip !== undefined ? ['-c', this.opts.chip] : []), ...args];
    const release = this.opts.holdBus ? await this.opts.holdBus() : undefined;
    this.opts.timeline?.add('probe', `flashrom-${what}`, this.opts.programmer);
    try {
      const r = await execa(this.opts.binary ?? 'flashrom', argv, {
        reject: false,
        all: true,
        stdin: 'ignore',
        timeout: this.opts.timeoutMs ?? 60_000,
        forceKillAfterDelay: 1000,
        ...(signal && { cancelSignal: signal }),
      });
      const output = r.all ?? '';
      if (r.isCanceled) throw signal?.reason ?? new RigError(`${this.name}: ${what} cancelled`);
      if (r.timedOut) throw new RigError(`${this.name}: flashrom ${what} did not finish within ${this.opts.timeoutMs ?? 60_000} ms`);
      if ((r as { code?: string }).code === 'ENOENT') throw new RigError(`${this.name}: no ${this.opts.binary ?? 'flashrom'} binary (sudo apt-get install -y flashrom)`);
      if (r.exitCode !== 0) {
        const problem = flashromProblem(output);
        const tail = output.trim().split('\n').slice(-3).join(' | ');
        const message = `${this.name}: flashrom ${what} failed${problem ? `: ${problem.text}` : ''} (exit ${String(r.exitCode ?? r.signal)}: ${tail})`;
        throw problem?.blame === 'config' ? new ConfigError(message) : new RigError(message);
      }
      return output;
    } finally {
      await release?.();
    }
  }

  private async withFile<T>(fn: (file: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'hil-flashrom-'));
    try {
      return await fn(join(dir, 'flash.bin'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The whole chip. */
  async readAll(opts: ProbeOptions = {}): Promise<Buffer> {
    return this.withFile(async (file) => {
      await this.run(['-r', file], 'read', opts.signal);
      return readFile(file);
    });
  }

  /** One read of the chip serves every region (flashrom reads whole chips). */
  async dump(regions: readonly MemoryRegion[], opts: ProbeOptions = {}): Promise<Record<string, Buffer>> {
    const chip = await this.readAll(opts);
    const out: Record<string, Buffer> = {};
    for (const r of regions) {
      if (r.base < 0 || r.base + r.size > chip.length) throw new RangeError(`${this.name}: ${r.name} (0x${r.base.toString(16)}+${r.size}) is outside the ${chip.length}-byte chip`);
      out[r.name] = chip.subarray(r.base, r.base + r.size);
    }
    return out;
  }

  /**
   * Read, patch, write back: flashrom compares with what is there and erases and programs only the
   * blocks that change, then verifies the whole chip.
   */
  async program(address: number, data: Uint8Array, opts: ProbeOptions = {}): Promise<void> {
    const chip = await this.readAll(opts);
    if (address < 0 || address + data.length > chip.length) throw new RangeError(`${this.name}: 0x${address.toString(16)}+${data.length} is outside the ${chip.length}-byte chip`);
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(chip, address);
    await this.withFile(async (file) => {
      await writeFile(file, chip);
      await this.run(['-w', file], 'write', opts.signal);
    });
  }

  async massErase(opts: ProbeOptions = {}): Promise<void> {
    await this.run(['-E'], 'erase', opts.signal);
  }
}
