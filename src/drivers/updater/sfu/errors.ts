/**
 * What can go wrong in an SFU upload, split the way the report needs it (DESIGN.md, rules of the
 * house): the device answered but not as the protocol allows -> a device failure; the link or
 * the rig did not carry the conversation -> a rig error. Both name the upload phase, and a device
 * failure carries the console lines that explain it (the bootloader prints its reason before it
 * sends WRERROR).
 */
import { DeviceError, ExitCode, HilError, RigError } from '../../../core/errors.js';
import type { SfuPhase } from './result.js';

/** The device refused, reset, timed out or answered against the protocol. */
export class SfuDeviceError extends DeviceError {
  constructor(
    message: string,
    readonly phase: SfuPhase,
    /** The last console lines before the failure, oldest first. */
    readonly lastLines: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message + formatLines(lastLines), options);
  }
}

/** The link failed: nothing answered, the port closed, writes stalled, frames kept getting lost. */
export class SfuLinkError extends RigError {
  constructor(
    message: string,
    readonly phase: SfuPhase,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The stream does not fit the device: nothing was erased or written (a usage error: exit 2). */
export class SfuStreamTooBigError extends HilError {
  constructor(
    message: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(message, ExitCode.usage);
  }
}

/** `; last console lines: "a" | "b"`, or nothing when the device said nothing. */
export function formatLines(lines: readonly string[]): string {
  const shown = lines.filter((l) => l.trim() !== '');
  return shown.length ? `; last console lines: ${shown.map((l) => JSON.stringify(l)).join(' | ')}` : '';
}
