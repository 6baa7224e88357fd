/**
 * What a boot scheme tells the host side, in two parts:
 * - SchemeMeta (each scheme's meta.ts): pure facts and pure functions (names, target, setups,
 *   update paths, variant names, console framing, dump regions, image reader, probe staging,
 *   sample files). config/ validates rig and suite files with it, so it imports nothing beyond
 *   core/, protocols/ and targets/ (types aside).
 * - SchemeHost (each scheme's index.ts, exported as `host`): the meta plus what reads a flash
 *   (baseline through the probe, inspection of a probe dump or of dump files), which needs
 *   images/. The host registry (registry.ts) loads it on first use, so config never loads images/.
 */
import type { MemoryRegion, Probe, ProbeOptions } from '../drivers/capabilities.js';
import type { ProbeStaging } from '../drivers/updater/probe/index.js';
import type { KnownImage, SlotReport } from '../images/index.js';
import type { ImageReader } from './meta-image.js';

/** Update paths a rig's `updater.driver` may name (the drivers that exist). */
export type UpdaterDriverName = 'sfu' | 'sfu-app' | 'probe' | 'fota';

/** One processor of a product scheme (several MCUs behind one power switch): its name and target. */
export interface SchemeMember {
  readonly name: string;
  /** One of config's TARGETS. */
  readonly target: string;
}

/** One member's part of a product image (a member of the update tar). */
export interface MemberImage {
  /** From the MCUboot header (major.minor.revision). */
  version?: string;
  sha256: string;
  size: number;
  image: Buffer;
}

/**
 * An image as a suite names it: the bytes sent over the update path (a RAW image, a BIN2Page
 * stream, a signed MCUboot image) and, per slot name of its scheme, the bytes that land in
 * flash, which is what a dump is compared with bit for bit.
 */
export interface UpdateImage {
  name: string;
  file: string;
  scheme: string;
  stream: Buffer;
  sha256: string;
  /** From the app info block the banner prints. */
  version?: string;
  slotImage: Partial<Record<string, Buffer>>;
  /**
   * A product image (several processors): each member's image, keyed by member name in the
   * scheme's member order; `version` is then `host=2.0.0,radio=2.0.0` and slotImage's keys are
   * `<member>:<slot>`.
   */
  members?: Record<string, MemberImage>;
}

export interface SchemeMeta {
  readonly name: string;
  /** The one target (memory map) this scheme runs on: one of config's TARGETS. */
  readonly target: string;
  /**
   * A product scheme's processors, in scheme order (the first is the one `target` names and the
   * rig's console writes go to). Absent on single-MCU schemes. Product-aware code keys on this,
   * never on a scheme's name.
   */
  readonly members?: readonly SchemeMember[];
  /** `setup:` values a suite may give; the first is the default. */
  readonly setups: readonly string[];
  /** Update paths the scheme allows (rig `updater.driver`). */
  readonly updaters: readonly UpdaterDriverName[];
  /**
   * Twin bootloader variants (`correct` first, then the seeded bugs). The twin registry holds the
   * same names with their descriptions; test/schemes/registry.test.ts keeps the two lists equal,
   * so config never imports the twin.
   */
  readonly variants: readonly string[];
  /** SFU frames share the console UART with text (RP2040 bootloader, STM32 OTA app), or text only. */
  readonly consoleFraming: 'sfu-and-text' | 'text';
  /** Regions `hil dump` reads and `hil inspect` expects, in this order, named as the files. */
  readonly dumpRegions: readonly MemoryRegion[];
  /** Which bytes of an image file land in which slot, and the version its banner prints. */
  readonly readImage: ImageReader;
  /** The `probe` update path: what to write where (present when `updaters` has `probe`). */
  readonly stageThroughProbe?: (image: Buffer, setup: string | undefined) => ProbeStaging;
  /** Sample firmware in firmware/ (twin serve's default image, bench and examples). */
  readonly samples: { readonly from: string; readonly to: string };
  /** `hil twin serve`: what a host can do over the pty, and whether a reset opens an update window. */
  readonly twinServe: { readonly updates: string; readonly idleReset: boolean };
  /** bench/cut.ts: the twin rig, and how cut points are placed (by transfer progress, or by time after start). */
  readonly bench: { readonly rig: string; readonly trigger: 'progress' | 'after' };
  /** `hil inspect --help`: the dump files this scheme takes (lines indented by the caller). */
  readonly inspectHelp: string;
  /** RAM whose contents the next boot reads (kept over resets that keep SRAM powered): what `hil inspect --ram FILE` takes. */
  readonly ramDump?: { readonly base: number; readonly size: number };
}

/** What the flash says, read through the probe and judged by `src/images/` alone. */
export interface FlashView {
  slots: SlotReport[];
  /**
   * The slot whose current content the boot chain starts next (after any swap or revert it will
   * do first), or null when it will stay in its bootloader.
   */
  bootsNext: string | null;
  /** The chosen slot's vector table lets the start reach the app. */
  jumps: boolean;
  /** What a start that does not reach the app looks like (SFU stays in its bootloader; a bare core crashes). */
  stuckAs: 'waiting' | 'boot-loop';
  /** What no bootable slot at all means: SFU and the STM32 ROM wait for a host; MCUboot hangs (bricked). */
  noBootAs: 'waiting' | 'bricked';
  /**
   * The image that will run, when it is not simply what bootsNext holds now (MCUboot: a pending
   * swap or revert runs the other slot's image, a resumed swap a reassembled one).
   */
  next?: { matches?: string; valid: boolean; version?: string };
  /**
   * Set when the boot chain reaches what it starts only through its last-resort path (seed 001: no
   * valid Loader, the bootloader starts slot 2 itself): why. The device answers, one fault from
   * bricked: a waiting or running device is then `degraded`.
   */
  fallback?: string;
  /**
   * A product (meta.members): each member's own view (its MCUboot slots), keyed by member name.
   * The top-level slots are then the members' slots named `<member>:<slot>`, bootsNext is e.g.
   * `host:primary+radio:primary` (null when any member's is), next.version the product version.
   */
  members?: Record<string, FlashView>;
  /**
   * A product whose updating member keeps a persisted record (the host's dfu-state): what it says
   * when it holds an accepted update that is not finished (e.g. `pkg 1a2b3c4d accepted, radio
   * 12000/25180 B`); absent when the record is erased, complete or unreadable. A device that
   * settles at its old versions while this is set has lost the update.
   */
  pending?: string;
  /** A short human table for reports. */
  table: string;
}

export interface BaselineImages {
  from: UpdateImage;
  /** An older image for the other slot, when the suite names one. */
  previous?: UpdateImage;
}

/** The per-scheme knowledge the scenario engine and the CLI need: meta, baseline, and reading the flash. */
export interface SchemeHost extends SchemeMeta {
  /** The scheme name (kept for the scenario engine's older callers). */
  readonly scheme: string;
  /** What a silent console means after a cut (an STM32 ROM waiting for a host says nothing). */
  readonly silence: 'bricked' | 'waiting';
  /** Time the app needs after its banner before the flash is final (MCUboot: it confirms itself). */
  readonly settleMs: number;
  /**
   * Puts the baseline on the device through the probe, as a factory programmer would. An abort
   * stops it at the probe operation under way (passed to each), rejecting with the abort's reason.
   */
  baseline(probe: Probe, images: BaselineImages, setup: string, opts?: ProbeOptions): Promise<void>;
  /** Reads the flash through the probe and judges it. */
  inspect(probe: Probe, known: UpdateImage[]): Promise<FlashView>;
  /** `hil inspect`: reads dump files (per region, or one whole-flash file) and judges them; `ram` only when the meta has `ramDump`. */
  inspectFiles(files: string[], known: KnownImage[], opts?: { ram?: string }): Promise<{ inspection: unknown; table: string }>;
}

/** The scenario engine's name for a scheme's host part. */
export type SchemeAdapter = SchemeHost;
