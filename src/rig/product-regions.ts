import type { MemoryRegion } from '../drivers/capabilities.js';

/**
 * Where each memory of a product sits in the product's one virtual address space, read from the
 * scheme's dump regions by name: `<member>-flash` is that member's internal flash (real address =
 * virtual − its base), `shared-flash` the shared SPI NOR (SPI address = virtual − its base).
 */
export interface ProductMemory extends MemoryRegion {
  /** The member whose flash it is, or 'shared'. */
  owner: string;
}

export const SHARED = 'shared';

/** What a scheme's meta says of its memories: its dump regions and its members' names. */
export interface ProductMap {
  readonly dumpRegions: readonly MemoryRegion[];
  readonly members?: readonly { readonly name: string }[];
}

export function productMemories(meta: ProductMap): ProductMemory[] {
  const members = new Set((meta.members ?? []).map((m) => m.name));
  const out: ProductMemory[] = [];
  for (const r of meta.dumpRegions) {
    const m = /^(.+)-flash$/.exec(r.name);
    if (m && (members.has(m[1]!) || m[1] === SHARED)) out.push({ name: r.name, base: r.base, size: r.size, owner: m[1]! });
  }
  return out;
}

/** The memory holding [address, address + length), or undefined when none holds all of it. */
export function memoryAt(memories: readonly ProductMemory[], address: number, length: number): ProductMemory | undefined {
  return memories.find((m) => address >= m.base && address + length <= m.base + m.size);
}
