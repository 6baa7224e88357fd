/**
 * Exit codes every `hil` command shares (reference/hil-ux.md §6), and the error classes that
 * carry them. A rig error is never a device failure and vice versa: RigError marks a result
 * `broken` in Allure, an assertion about the device marks it `failed`.
 */
export const ExitCode = {
  ok: 0,
  testFailures: 1,
  usage: 2,
  rigUnavailable: 3,
  interrupted: 4,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class HilError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command line. */
export class UsageError extends HilError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** A problem in a rig or suite file, located to file:line:col and a field path. */
export class ConfigError extends HilError {
  constructor(
    message: string,
    readonly location?: { file: string; line?: number; col?: number; path?: string },
  ) {
    super(message, ExitCode.usage);
  }
}

/** The rig itself failed: probe missing, port gone, transport dead, a timeout of the rig. */
export class RigError extends HilError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.rigUnavailable, options);
  }
}

/** The device answered, but not as the protocol allows (a device failure, not a rig one). */
export class DeviceError extends HilError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.testFailures, options);
  }
}

export class InterruptedError extends HilError {
  constructor(message = 'interrupted') {
    super(message, ExitCode.interrupted);
  }
}
