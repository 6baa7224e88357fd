/**
 * An exception thrown to unwind code, not to report a fault (the twin's power lost, a jump to a
 * job's known end, a sweep point stopped at a verdict known before): a sweep throws thousands, so
 * no stack trace is captured.
 */
export class ControlFlow extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}
