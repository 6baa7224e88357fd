import type { Probe } from '../../drivers/capabilities.js';
import type { SlotReport } from '../../images/index.js';
import type { UpdateImage } from '../update-image.js';

/** What the flash says, read through the probe and judged by `src/images/` alone. */
export interface FlashView {
  slots: SlotReport[];
  /** The slot the boot chain will start next, or null when it will stay in its bootloader. */
  bootsNext: string | null;
  /** The chosen slot's vector table lets the bootloader jump. */
  jumps: boolean;
  /** A short human table for reports. */
  table: string;
}

/** The per-scheme knowledge the scenario engine needs: how to set a baseline and read the flash. */
export interface SchemeAdapter {
  readonly scheme: string;
  /** Puts image `from` on the device through the probe, as a factory programmer would. */
  baseline(probe: Probe, from: UpdateImage): Promise<void>;
  inspect(probe: Probe, known: UpdateImage[]): Promise<FlashView>;
}
