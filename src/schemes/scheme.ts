import type { Outcome } from '../../config/vocabulary.js';
import type { Probe } from '../../drivers/capabilities.js';
import type { SlotReport } from '../../images/index.js';
import type { UpdateImage } from '../update-image.js';

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
  /** A short human table for reports. */
  table: string;
}

export interface BaselineImages {
  from: UpdateImage;
  /** An older image for the other slot, when the suite names one. */
  previous?: UpdateImage;
}

/** The per-scheme knowledge the scenario engine needs: images, baseline, and reading the flash. */
export interface SchemeAdapter {
  readonly scheme: string;
  /** `setup:` values a suite may give; the first is the default. */
  readonly setups: readonly string[];
  /** What a silent console means after a cut (an STM32 ROM waiting for a host says nothing). */
  readonly silence: Outcome;
  /** Time the app needs after its banner before the flash is final (MCUboot: it confirms itself). */
  readonly settleMs: number;
  /** Puts the baseline on the device through the probe, as a factory programmer would. */
  baseline(probe: Probe, images: BaselineImages, setup: string): Promise<void>;
  inspect(probe: Probe, known: UpdateImage[]): Promise<FlashView>;
}
