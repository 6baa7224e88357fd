/** What a repro line of a sweep point needs beyond the point: the sweep's own settings (hil sweep's and hil detect's alike). */
export interface SweepReproContext {
  rig: string;
  /** The twin's variant and power-loss mode as the sweep ran them. */
  twin?: { variant?: string; powerLoss?: string };
  from: string;
  to: string;
  previous?: string;
  /** A multi-stage update's images sent before `to`. */
  via?: readonly string[];
  setup: string;
  offMs: number;
  bootLoopCycles?: number;
  /** A product's supported version sets as `hil cut --compatible` takes them (formatCompatibleText). */
  compatible?: string;
}
