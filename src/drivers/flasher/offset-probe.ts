import type { MemoryRegion, Probe, ProbeOptions } from '../capabilities.js';

/**
 * One memory of a larger address space seen at its own addresses: a product member's probe on the
 * twin, whose debug port takes the product's virtual addresses (real = virtual − base). A request
 * outside the memory is a RangeError, never a read of a neighbour's flash.
 */
export class OffsetProbe implements Probe {
  constructor(
    private readonly inner: Probe,
    private readonly base: number,
    private readonly size: number,
    private readonly what: string,
  ) {}

  private at(address: number, length: number): number {
    if (!Number.isInteger(address) || address < 0 || length < 0 || address + length > this.size) {
      throw new RangeError(`${this.what}: 0x${address.toString(16)}+${length} is outside its ${this.size}-byte flash`);
    }
    return this.base + address;
  }

  async dump(regions: readonly MemoryRegion[], opts?: ProbeOptions): Promise<Record<string, Buffer>> {
    return this.inner.dump(
      regions.map((r) => ({ ...r, base: this.at(r.base, r.size) })),
      opts,
    );
  }

  async program(address: number, data: Uint8Array, opts?: ProbeOptions): Promise<void> {
    return this.inner.program(this.at(address, data.length), data, opts);
  }

  /** This memory only: erased as a probe's programming erases (every sector touched), with nothing written back but 0xFF. */
  async massErase(opts?: ProbeOptions): Promise<void> {
    return this.inner.program(this.base, Buffer.alloc(this.size, 0xff), opts);
  }
}
