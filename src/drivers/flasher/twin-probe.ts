import type { Timeline } from '../../core/timeline.js';
import type { TwinDevice } from '../../twin/device.js';
import type { MemoryRegion, Probe, ProbeOptions } from '../capabilities.js';

/**
 * A debug probe on the twin: reads and writes flash through the debug port, like OpenOCD would.
 * Each operation is instant on the model, so an abort takes effect between operations: one asked
 * for after Ctrl-C rejects with the abort's reason and leaves the flash untouched.
 */
export class TwinProbe implements Probe {
  constructor(
    private readonly device: TwinDevice,
    private readonly timeline?: Timeline,
  ) {}

  async dump(regions: readonly MemoryRegion[], opts: ProbeOptions = {}): Promise<Record<string, Buffer>> {
    opts.signal?.throwIfAborted();
    this.timeline?.add('probe', 'dump', regions.map((r) => r.name).join(' '));
    const out: Record<string, Buffer> = {};
    for (const r of regions) out[r.name] = this.device.readMemory(r.base, r.size);
    return out;
  }

  async program(address: number, data: Uint8Array, opts: ProbeOptions = {}): Promise<void> {
    opts.signal?.throwIfAborted();
    this.timeline?.add('probe', 'program', `${data.length} bytes at 0x${address.toString(16)}`);
    this.device.programMemory(address, data);
  }

  async massErase(opts: ProbeOptions = {}): Promise<void> {
    opts.signal?.throwIfAborted();
    this.timeline?.add('probe', 'mass-erase');
    this.device.massErase();
  }
}
