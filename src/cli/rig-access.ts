/**
 * What the everyday rig commands share: the rig's flash layout for `hil flash` / `hil dump`, and
 * holding a rig in a state until Ctrl-C (a GPIO line is only driven while its owner runs: a
 * libgpiod v2 gpioset that exits releases it).
 */
import type { RigConfig } from '../config/index.js';
import type { Scheme, Target } from '../config/vocabulary.js';
import { NRF52840 } from '../targets/nrf52840.js';
import { NRF9160 } from '../targets/nrf9160.js';
import { RP2040 } from '../targets/rp2040.js';
import { STM32F429 } from '../targets/stm32f429.js';
import { SCHEMES } from '../schemes/registry.js';
import type { MemoryRegion } from '../drivers/capabilities.js';
import { UsageError } from '../core/errors.js';
import type { Output } from './output.js';

/** Where a raw binary goes when `--address` is not given: the start of the target's flash. */
export const FLASH_BASE: Readonly<Record<Target, number>> = {
  rp2040: RP2040.xipBase,
  stm32f429: STM32F429.flashBase,
  nrf52840: NRF52840.flashBase,
  nrf9160: NRF9160.flashBase,
};

/** Every region `hil inspect` reads for a scheme, named as it expects the files. */
export const DUMP_REGIONS: Readonly<Record<Scheme, readonly MemoryRegion[]>> = Object.fromEntries(SCHEMES.map((s) => [s.name, s.dumpRegions]));

/** `0x08020000`, `134348800` or `0x0802_0000`. */
export function parseAddress(raw: string, option = '--address'): number {
  const s = raw.replace(/_/g, '').trim();
  const n = /^0x[0-9a-f]+$/i.test(s) ? parseInt(s.slice(2), 16) : /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n > 0xffff_ffff) throw new UsageError(`${option}: expected an address such as 0x08000000, got ${JSON.stringify(raw)}`);
  return n;
}

/** `30s`, `500ms`, `2m`, `0` (do not hold). */
export function parseHold(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim());
  if (!m) throw new UsageError(`--for: expected a duration such as 30s, 500ms or 0, got ${JSON.stringify(raw)}`);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  // Past 2^31 - 1 ms a timer fires at once: an absurd hold would release the rig immediately.
  if (!(ms <= MAX_HOLD_MS)) throw new UsageError(`--for: at most 1440m (24 hours), got ${JSON.stringify(raw)}; leave --for out to hold until Ctrl-C`);
  return ms;
}

/** The longest --for: a day. */
export const MAX_HOLD_MS = 24 * 3_600_000;

/**
 * Waits for Ctrl-C (the signal) or `forMs`, whichever comes first; resolves how long it held.
 * Never rejects: releasing is the normal way out.
 */
export async function holdRig(config: RigConfig, what: string, forMs: number | undefined, signal: AbortSignal, out: Output): Promise<number> {
  if (forMs === 0) return 0;
  const t0 = Date.now();
  const safe = `power ${config.power.safeState}${config.gpio ? ', pins at their safe levels' : ''}`;
  out.info(`${config.name}: holding ${what}${forMs === undefined ? '; Ctrl-C releases' : ` for ${forMs} ms (Ctrl-C releases sooner)`}; then the rig returns to its safe state (${safe})`);
  await new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = forMs === undefined ? undefined : setTimeout(done, forMs);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
  return Date.now() - t0;
}
