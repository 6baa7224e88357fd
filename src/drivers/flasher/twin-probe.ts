import type { Timeline } from '../../core/timeline.js';
import type { TwinDevice } from '../../twin/device.js';
import type { MemoryRegion, Probe } from '../capabilities.js';

/** A debug probe on the twin: reads and writes flash through the debug port, like OpenOCD would. */
export class TwinProbe implements Probe {
  constructor(
    private readonly device: TwinDevice,
    private readonly timeline?: Timeline,
  ) {}

  async dump(regions: readonly MemoryRegion[]): Promise<Record<string, Buffer>> {
    this.timeline?.add('probe', 'dump', regions.map((r) => r.name).join(' '));
    const out: Record<string, Buffer> = {};
    for (const r of regions) out[r.name] = this.device.readMemory(r.base, r.size);
    return out;
  }

  async program(address: number, data: Uint8Array): Promise<void> {
    this.timeline?.add('probe', 'program', `${data.length} bytes at 0x${address.toString(16)}`);
    this.device.programMemory(address, data);
  }

  async massErase(): Promise<void> {
    this.timeline?.add('probe', 'mass-erase');
    this.device.massErase();
  }
}
