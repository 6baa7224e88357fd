/**
 * Every bound a config value or a file a user names must respect. They are far above any real
 * bench (a rig file is a few KiB, a cut lasts seconds, a sweep a few thousand points) and far
 * below what hangs the process, exhausts memory or overflows a timer (setTimeout fires at once
 * beyond 2^31 - 1 ms). One place, so the messages and the README quote the same numbers.
 */

/**
 * A rig or suite file: the largest example is 8 KiB, mostly comments. The YAML parser blocks
 * the event loop (signals wait) for about a second at this size on a dev machine, worst case.
 */
export const MAX_CONFIG_BYTES = 128 * 1024;

/** An image file, before its scheme's own slot-size check (the largest slot is about 2 MiB). */
export const MAX_IMAGE_BYTES = 16 * 1024 * 1024;

/** Mappings and lists inside mappings and lists: a rig uses five levels. */
export const MAX_NESTING = 32;

/** Problems listed per file: the rest is counted, not located (locating is what costs). */
export const MAX_LISTED_ISSUES = 50;

/** Power off time of one cut (CLI --off-ms, power.offMs, minOffMs, cuts.offMs, a point's offMs). */
export const MAX_OFF_MS = 60_000;

/** Trigger times (after:, +delay, sweep from/to, second:): one hour, longer than any update. */
export const MAX_TRIGGER_MS = 3_600_000;

/** Waits of the rig: boot timeout, console reconnect, openocd run. */
export const MAX_WAIT_MS = 3_600_000;

/** Settle times and pulses: relay settling, reset pulse, sag ramp. */
export const MAX_SETTLE_MS = 60_000;

/** Seeds are 32-bit. */
export const MAX_SEED = 0xffff_ffff;

/** Cut points of one sweep, and of one suite in total (explicit points and every sweep). */
export const MAX_SWEEP_COUNT = 100_000;
export const MAX_SUITE_CUTS = 100_000;

/** A console trigger's nth line, a marker trigger's edge. */
export const MAX_NTH = 1_000_000_000;

/** Extra power cycles after a recovery. */
export const MAX_BOOT_LOOP_CYCLES = 1000;

/** Line rates (console, twin pacing, supply link). */
export const MAX_BAUD = 20_000_000;

/** The twin's time factor (1 = real time; larger is slower than real). */
export const MAX_TIME_FACTOR = 1000;

/** `1 h (3600000 ms)`, `60 s (60000 ms)`: a bound as a reader likes it. */
export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h (${ms} ms)`;
  if (ms % 1000 === 0) return `${ms / 1000} s (${ms} ms)`;
  return `${ms} ms`;
}
