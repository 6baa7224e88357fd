/**
 * The host's reading of a loader-app RAM dump: the 256 bytes at 0x2000_0000 that the bootloader,
 * Loader, Application and Updater share (seed 001; memfault's example, shared_memory.c: a packed
 * { magic u32, flags u32, boot_counter u8 }, little-endian, DFU_REQUESTED = flags bit 0). Read
 * from the seed and the example, not from the twin (src/twin/ is never imported here), so a
 * disagreement between the two shows up as a test failure instead of being shared.
 *
 * What the Loader does with it at its next start, in the example's order (loader.c): a wrong
 * magic means the RAM is not ours (power-up contents), so it is cleared and the magic set: no DFU
 * request, counter 0. Then a DFU request wins (DFU mode, the flag cleared); then a counter at the
 * maximum of attempts means the app never became stable (counter cleared, DFU mode, "App
 * unstable"); otherwise slot 2 is started if it holds a committed image, the counter counted up first.
 */
import { hex32 as hex } from '../../core/hex.js';
import { InspectError, describeSize } from '../../images/inspect-error.js';
import { LOADER_APP_SHARED_RAM } from '../../targets/stm32f429-fwup.js';

/** Where the fields are and what they hold. The magic is the example's (shared_memory.c `MAGIC`). */
export const SHARED_RAM = {
  base: LOADER_APP_SHARED_RAM.base,
  size: LOADER_APP_SHARED_RAM.size,
  magic: 0x0bad_cafe,
  at: { magic: 0, flags: 4, bootCounter: 8 },
  dfuRequested: 1 << 0,
  /** loader.c `max_boot_attempts`: starts of slot 2 without the app clearing the counter. */
  maxBootAttempts: 3,
} as const;

/** What the RAM says before the Loader touches it. */
export interface SharedRamFields {
  magic: number;
  magicOk: boolean;
  flags: number;
  dfuRequested: boolean;
  bootCounter: number;
}

/**
 * What the Loader will decide from the RAM alone (slot 2's header decides `start-slot2` vs DFU
 * mode when the RAM lets it start anything):
 * - `dfu-requested`: DFU mode, the flag cleared;
 * - `app-unstable`: the counter reached the maximum: cleared, DFU mode;
 * - `start-slot2`: the Loader starts slot 2 if it holds a committed image, counter + 1.
 */
export type LoaderRamDecision = 'dfu-requested' | 'app-unstable' | 'start-slot2';

export interface SharedRamReading extends SharedRamFields {
  /** The magic is wrong: the Loader clears the RAM and sets the magic before reading the rest. */
  reinitialised: boolean;
  /** The fields the Loader then goes by (after a re-initialisation: no request, counter 0). */
  effective: { dfuRequested: boolean; bootCounter: number };
  decision: LoaderRamDecision;
  /** One line each: what the RAM says and what the Loader does with it. */
  lines: string[];
}

/** The fields of a RAM dump (exactly SHARED_RAM.size bytes from SHARED_RAM.base); InspectError for any other size. */
export function readSharedRamFields(ram: Uint8Array): SharedRamFields {
  if (ram.length !== SHARED_RAM.size) {
    throw new InspectError(`loader-app RAM dump is ${describeSize(ram.length)}, expected ${describeSize(SHARED_RAM.size)}: the shared RAM from ${hex(SHARED_RAM.base)}`, {
      region: 'ram',
      expected: SHARED_RAM.size,
      actual: ram.length,
    });
  }
  const b = Buffer.from(ram.buffer, ram.byteOffset, ram.length);
  const magic = b.readUInt32LE(SHARED_RAM.at.magic);
  const flags = b.readUInt32LE(SHARED_RAM.at.flags);
  return { magic, magicOk: magic === SHARED_RAM.magic, flags, dfuRequested: (flags & SHARED_RAM.dfuRequested) !== 0, bootCounter: b[SHARED_RAM.at.bootCounter]! };
}

/** The Loader's reading of a RAM dump at its next start (a reset that keeps SRAM powered: system, watchdog, pin). */
export function readSharedRam(ram: Uint8Array): SharedRamReading {
  const f = readSharedRamFields(ram);
  const lines: string[] = [];
  const flagText = `flags ${hex(f.flags)}${f.dfuRequested ? ' (DFU requested)' : ''}`;
  lines.push(`shared RAM at ${hex(SHARED_RAM.base)}: magic ${hex(f.magic)} (${f.magicOk ? 'ok' : `expected ${hex(SHARED_RAM.magic)}`}), ${flagText}, boot counter ${f.bootCounter}`);
  const effective = f.magicOk ? { dfuRequested: f.dfuRequested, bootCounter: f.bootCounter } : { dfuRequested: false, bootCounter: 0 };
  if (!f.magicOk) lines.push('the magic is wrong (power-up contents, or overwritten): the Loader re-initialises the shared RAM (no DFU request, boot counter 0)');
  let decision: LoaderRamDecision;
  if (effective.dfuRequested) {
    decision = 'dfu-requested';
    lines.push('DFU requested: the Loader enters DFU mode (and clears the request)');
  } else if (effective.bootCounter >= SHARED_RAM.maxBootAttempts) {
    decision = 'app-unstable';
    lines.push(`boot counter ${effective.bootCounter} >= ${SHARED_RAM.maxBootAttempts}: the app never cleared it (not stable): the Loader clears it and enters DFU mode ("App unstable")`);
  } else {
    decision = 'start-slot2';
    lines.push(`no DFU request, boot counter ${effective.bootCounter} < ${SHARED_RAM.maxBootAttempts}: the Loader starts slot 2 if it holds a committed image (attempt ${effective.bootCounter + 1})`);
  }
  return { ...f, reinitialised: !f.magicOk, effective, decision, lines };
}
