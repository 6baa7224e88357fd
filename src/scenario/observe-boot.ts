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
  /**
   * A product (a merged console, lines `<member>| <text>`): each member observed as a device of its
   * own, from its latest boot. The product's `banner` is then set once every member runs, with the
   * version `host=<v>,radio=<v>` (member order), slot and base of the first member, and the
   * members' banner lines joined (a later boot into the same images prints the same).
   */
  members?: Record<string, BootObservation>;
  /**
   * A product: the host's settled line (`fota: idle|complete|failed ... host=<v> radio=<v>`) after
   * every member's banner, when one came within the boot timeout.
   */
  settled?: string;
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
 * One device's console lines, read as they come: what observeBoot keeps for a single processor,
 * and for each member of a product.
 */
class DeviceWatch {
  readonly obs: BootObservation = { boots: 0, crashes: 0, bootloaderWaiting: false, bootloaderHung: false, heard: false, state: 'silent' };
  private lastStart: { writes: number; crashes: number } | undefined;
  /** The device started again with no flash write since its last start and a crash in between. */
  looping = false;
  private previous = '';

  constructor(
    private readonly start: number,
    private readonly writes: (() => number) | undefined,
    /** A product member keeps watching after its banner: it may reboot (to swap) and print another. */
    private readonly afterBanner: 'stop' | 'reboot-clears',
  ) {}

  /** Reads one line; true when it is the app's banner. */
  look(line: ConsoleLine): boolean {
    const obs = this.obs;
    if (line.text.trim()) obs.heard = true;
    if (DFU_MODE.test(line.text)) obs.dfu = { ...(this.previous && { reason: this.previous }), afterCrashes: obs.crashes };
    else if (CRASH.test(line.text)) delete obs.dfu;
    if (line.text.trim()) this.previous = line.text.trim();
    if (BOOT.test(line.text) || MCUBOOT_START.test(line.text)) {
      obs.boots++;
      // A member restarting (to apply its update) is judged by what its new start brings up.
      if (this.afterBanner === 'reboot-clears') {
        delete obs.banner;
        delete obs.bootMs;
        obs.bootloaderHung = false;
        obs.bootloaderWaiting = false;
      }
      if (this.writes) {
        const writes = this.writes();
        this.looping = this.lastStart !== undefined && this.lastStart.writes === writes && obs.crashes > this.lastStart.crashes;
        this.lastStart = { writes, crashes: obs.crashes };
      }
    }
    if (HUNG.test(line.text)) obs.bootloaderHung = true;
    if (CRASH.test(line.text)) obs.crashes++;
    if (WAITING.test(line.text)) obs.bootloaderWaiting = true;
    if (FALLBACK.test(line.text)) obs.fallback = line.text.trim();
    const m = BANNER.exec(line.text);
    if (m) {
      obs.banner = { version: m[1]!, slot: m[2]!, base: parseInt(m[3]!, 16), line: line.text };
      obs.bootMs = line.t - this.start;
      return true;
    }
    return false;
  }

  /** The console state once the watch is over. */
  finish(): BootObservation {
    const obs = this.obs;
    // A crash with no banner is a loop: the watchdog restarts the same boot chain into the same image,
    // unless a loader's boot counter ended it in DFU mode (no crash since): that device waits, and
    // the update path recovers it.
    const settledInDfu = obs.dfu !== undefined;
    obs.state = obs.banner ? 'running' : obs.crashes > 0 && !settledInDfu ? 'boot-loop' : obs.bootloaderHung ? 'hung' : obs.heard ? 'waiting' : 'silent';
    return obs;
  }
}

/** A product's merged console line: `<member>| <text>`. */
const MEMBER_LINE = /^([a-z][a-z0-9-]{0,31})\| ?(.*)$/s;
/** The host's settled line (common.md): nothing pending, the product consistent or given up. */
export const SETTLED = /^fota: (idle|complete|failed)\b.*\bhost=\S+/;

/** The members of a merged console (src/drivers/console/merged-console.ts), by duck type: scenario needs no driver import. */
function membersOf(console: Console): readonly string[] | undefined {
  const members = (console as { members?: unknown }).members;
  if (!Array.isArray(members) || members.length === 0) return undefined;
  return members.map((m: { name: string }) => m.name);
}

/**
 * A product's watch: each member's lines go to its own DeviceWatch; the watch is over when every
 * member runs and the host has printed a settled line after that (a product keeps working after its
 * banners: a resumed download, the co-processor's swap, the host's own).
 */
class ProductWatch {
  readonly watches: Map<string, DeviceWatch>;
  settled?: string;
  private settledAt?: number;

  constructor(
    readonly names: readonly string[],
    private readonly start: number,
    writes: (() => number) | undefined,
  ) {
    this.watches = new Map(names.map((n) => [n, new DeviceWatch(start, writes, 'reboot-clears')]));
  }

  get looping(): boolean {
    return [...this.watches.values()].some((w) => w.looping);
  }

  /** Reads one merged line; true when the product has settled. */
  look(line: ConsoleLine): boolean {
    const m = MEMBER_LINE.exec(line.text);
    const watch = m ? this.watches.get(m[1]!) : undefined;
    if (!m || !watch) return false;
    const own: ConsoleLine = { ...line, text: m[2]! };
    watch.look(own);
    if (MCUBOOT_START.test(own.text) || BOOT.test(own.text)) {
      // A member restarting after the settled line: the product is working again.
      delete this.settled;
      delete this.settledAt;
    }
    if (SETTLED.test(own.text.trim()) && [...this.watches.values()].every((w) => w.obs.banner)) {
      this.settled = own.text.trim();
      this.settledAt = line.t;
      return true;
    }
    return false;
  }

  finish(): BootObservation {
    const members = Object.fromEntries([...this.watches].map(([n, w]) => [n, w.finish()]));
    const all = Object.values(members);
    const obs: BootObservation = {
      boots: all.reduce((n, o) => n + o.boots, 0),
      crashes: all.reduce((n, o) => n + o.crashes, 0),
      bootloaderWaiting: all.some((o) => o.bootloaderWaiting),
      bootloaderHung: all.some((o) => o.bootloaderHung),
      heard: all.some((o) => o.heard),
      state: productState(all),
      members,
      ...(this.settled !== undefined && { settled: this.settled }),
    };
    const fallback = all.find((o) => o.fallback)?.fallback;
    if (fallback) obs.fallback = fallback;
    if (all.every((o) => o.banner)) {
      const first = members[this.names[0]!]!.banner!;
      obs.banner = {
        version: this.names.map((n) => `${n}=${members[n]!.banner!.version}`).join(','),
        slot: first.slot,
        base: first.base,
        line: this.names.map((n) => `${n}| ${members[n]!.banner!.line}`).join(' / '),
      };
      obs.bootMs = this.settledAt !== undefined ? this.settledAt - this.start : Math.max(...all.map((o) => o.bootMs ?? 0));
    }
    return obs;
  }
}

/** A product's console state: running when every member runs, else what the member that does not says. */
function productState(members: readonly BootObservation[]): BootObservation['state'] {
  for (const state of ['boot-loop', 'hung', 'silent', 'waiting'] as const) if (members.some((o) => o.state === state)) return state;
  return 'running';
}

/**
 * Watches the console from `fromLine` for up to `timeoutMs`: returns as soon as the app banner
 * appears, or when the time is up with what was seen by then (a crash loop, a bootloader that
 * stays, or silence). On a product's merged console it watches every member, and returns once all
 * run and the host has settled (see ProductWatch).
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
  const names = membersOf(console);
  const watch = names ? new ProductWatch(names, start, opts.writes) : new DeviceWatch(start, opts.writes, 'stop');
  let done = false;
  const look = (line: ConsoleLine): boolean => (done ||= watch.look(line));
  const offFrame = console.onFrame(() => {
    if (watch instanceof DeviceWatch) watch.obs.heard = true;
  });
  try {
    for (let i = opts.fromLine; i < console.lines.length; i++) if (look(console.lines[i]!)) break;
    if (!done) {
      const deadline = start + opts.timeoutMs;
      await new Promise<void>((resolve, reject) => {
        const timer = clock.setTimer(Math.max(0, deadline - clock.now()), finish);
        const offLine = console.onLine((line) => (look(line) || watch.looping) && finish());
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
  return watch.finish();
}
