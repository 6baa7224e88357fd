import { RigError } from '../../core/errors.js';
import type { MemoryRegion, Probe, ProbeOptions } from '../capabilities.js';

/** One memory of a product's address space and the probe that reaches it at its own addresses. */
export interface ProbeRoute extends MemoryRegion {
  /** Absent: the rig has no way to this memory (a member without a probe, no shared-flash reader). */
  probe?: Probe;
  /** Which rig-file field would give it one, for the error: `mcus.radio.probe`. */
  field: string;
}

/**
 * A product's probe on a bench: the product's virtual addresses routed to the probe of the memory
 * they fall in (each MCU's own debug probe, the shared flash's reader), rebased to that memory's
 * own addresses. A request that spans two memories is refused: no probe can serve it whole.
 */
export class RoutedProbe implements Probe {
  constructor(private readonly routes: readonly ProbeRoute[]) {}

  private route(address: number, length: number): { route: ProbeRoute; probe: Probe; at: number } {
    const route = this.routes.find((r) => address >= r.base && address + length <= r.base + r.size);
    if (!route)
      throw new RangeError(
        `0x${address.toString(16)}+${length} is not inside one memory of the product (${this.routes.map((r) => `${r.name} 0x${r.base.toString(16)}+0x${r.size.toString(16)}`).join(', ')})`,
      );
    if (!route.probe) throw new RigError(`no probe reaches ${route.name}: the rig file has no ${route.field}`);
    return { route, probe: route.probe, at: address - route.base };
  }

  async dump(regions: readonly MemoryRegion[], opts?: ProbeOptions): Promise<Record<string, Buffer>> {
    const out: Record<string, Buffer> = {};
    for (const r of regions) {
      const { probe, at } = this.route(r.base, r.size);
      Object.assign(out, await probe.dump([{ name: r.name, base: at, size: r.size }], opts));
    }
    return out;
  }

  async program(address: number, data: Uint8Array, opts?: ProbeOptions): Promise<void> {
    const { probe, at } = this.route(address, data.length);
    await probe.program(at, data, opts);
  }

  /** Every memory the rig reaches. */
  async massErase(opts?: ProbeOptions): Promise<void> {
    for (const r of this.routes) if (r.probe) await r.probe.massErase(opts);
  }
}
