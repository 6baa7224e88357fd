import type { Clock } from '../core/clock.js';
import type { Console, ConsoleLine } from '../drivers/console/console.js';

/** What the console showed after power came back: the console half of a verdict. */
export interface BootObservation {
  /** The app's banner, when it ran. */
  banner?: { version: string; slot: string; base: number; line: string };
  /** Boots seen (bootloader starts: SFU HWRESET frames or boot text). */
  boots: number;
  /** Crashes the app reported (HardFault, unexpected IRQ). */
  crashes: number;
  /** The bootloader said it is alive and staying (no valid slot, context error). */
  bootloaderWaiting: boolean;
  /** The bootloader said it gives up for good (MCUboot without serial recovery). */
  bootloaderHung: boolean;
  /** The console said anything at all. */
  heard: boolean;
  /** ms from power-on to the banner. */
  bootMs?: number;
  /**
   * A loader that gave up on the app and waits for an update (seed 001's Loader: "Entering DFU
   * Mode"), with the reason it printed just before and the crashes seen before it.
   */
  dfu?: { reason?: string; afterCrashes: number };
  /**
   * The bootloader's own line saying it skipped its first choice and started its last resort
   * (seed 001: `boot: no valid Loader in slot 1, starting slot 2`): what answers after it is degraded.
   */
  fallback?: string;
  /** What the console state means on its own. */
  state: 'running' | 'boot-loop' | 'waiting' | 'hung' | 'silent';
}

const BANNER = /^hilrig-app (\S+) running from slot (\S+) @0x([0-9a-fA-F]+)/;
const CRASH = /=== ERROR (HardFault|Unexpected IRQ) ===/;
const BOOT = /^find_latest_variant$/;
const WAITING = /No any variant|Broken also|is single, but also broken|CONTEXT ERROR|context erorr/;
const HUNG = /Unable to find bootable image/;
/** MCUboot's boot banner: one per bootloader start. */
const MCUBOOT_START = /^I: Starting bootloader/;
/** A loader entering its DFU mode (seed 001): it stays there, taking updates, until one arrives. */
const DFU_MODE = /^Entering DFU Mode/;
/** A bootloader that found no valid image where it looks first and starts another slot instead. */
const FALLBACK = /\bno valid \S+ in slot \S+, starting slot \S+/;

/**
 * Watches the console from `fromLine` for up to `timeoutMs`: returns as soon as the app banner
 * appears, or when the time is up with what was seen by then (a crash loop, a bootloader that
 * stays, or silence).
 */
export async function observeBoot(
  console: Console,
  clock: Clock,
  opts: {
    fromLine: number;
    timeoutMs: number;
    signal?: AbortSignal;
    /**
     * The device's persistent-state writes so far (the twin's flash op count). Given, a crash loop
     * ends the watch early: a deterministic device whose bootloader starts again with no write
     * since its last start, and a crash in between, repeats that cycle until the timeout, so the
     * rest would only add the same lines (same state, same outcome). Only a twin can count this.
     */
    writes?: () => number;
  },
): Promise<BootObservation> {
  const start = clock.now();
  const obs: BootObservation = { boots: 0, crashes: 0, bootloaderWaiting: false, bootloaderHung: false, heard: false, state: 'silent' };
  let lastStart: { writes: number; crashes: number } | undefined;
  let looping = false;
  let previous = '';
  const look = (line: ConsoleLine): boolean => {
    if (line.text.trim()) obs.heard = true;
    if (DFU_MODE.test(line.text)) obs.dfu = { ...(previous && { reason: previous }), afterCrashes: obs.crashes };
    else if (CRASH.test(line.text)) delete obs.dfu;
    if (line.text.trim()) previous = line.text.trim();
    if (BOOT.test(line.text) || MCUBOOT_START.test(line.text)) {
      obs.boots++;
      if (opts.writes) {
        const writes = opts.writes();
        looping = lastStart !== undefined && lastStart.writes === writes && obs.crashes > lastStart.crashes;
        lastStart = { writes, crashes: obs.crashes };
      }
    }
    if (HUNG.test(line.text)) obs.bootloaderHung = true;
    if (CRASH.test(line.text)) obs.crashes++;
    if (WAITING.test(line.text)) obs.bootloaderWaiting = true;
    if (FALLBACK.test(line.text)) obs.fallback = line.text.trim();
    const m = BANNER.exec(line.text);
    if (m) {
      obs.banner = { version: m[1]!, slot: m[2]!, base: parseInt(m[3]!, 16), line: line.text };
      obs.bootMs = line.t - start;
      return true;
    }
    return false;
  };
  const offFrame = console.onFrame(() => (obs.heard = true));
  try {
    for (let i = opts.fromLine; i < console.lines.length; i++) if (look(console.lines[i]!)) break;
    if (!obs.banner) {
      const deadline = start + opts.timeoutMs;
      await new Promise<void>((resolve, reject) => {
        const timer = clock.setTimer(Math.max(0, deadline - clock.now()), finish);
        const offLine = console.onLine((line) => (look(line) || looping) && finish());
        const onAbort = () => {
          timer.cancel();
          offLine();
          reject(opts.signal!.reason);
        };
        // An abort that came before this wait began fires no event: honour it now.
        if (opts.signal?.aborted) return onAbort();
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        function finish() {
          timer.cancel();
          offLine();
          opts.signal?.removeEventListener('abort', onAbort);
          resolve();
        }
      });
    }
  } finally {
    offFrame();
  }
  // A crash with no banner is a loop: the watchdog restarts the same boot chain into the same image,
  // unless a loader's boot counter ended it in DFU mode (no crash since): that device waits, and
  // the update path recovers it.
  const settledInDfu = obs.dfu !== undefined;
  obs.state = obs.banner ? 'running' : obs.crashes > 0 && !settledInDfu ? 'boot-loop' : obs.bootloaderHung ? 'hung' : obs.heard ? 'waiting' : 'silent';
  return obs;
}
