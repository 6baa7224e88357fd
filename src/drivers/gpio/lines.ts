/**
 * GPIO lines for relays, BOOT/RESET straps and DUT signals (reference/hardware-backends.md §3).
 * Lines are named by chip label + offset or by line name, never by a global sysfs number.
 *
 * Levels are LOGICAL: 1 = asserted. A line declared `activeLow` is driven to physical 0 when
 * asserted; the inversion is done here, in TypeScript, identically for every backend.
 */
import { RigError } from '../../core/errors.js';

export type Level = 0 | 1;

/** A line by chip (label, e.g. `pinctrl-rp1`, or char-device name for libgpiod) + offset, or by line name (`GPIO17`). */
export type LineRef = { chip: string; offset: number } | { name: string };

export interface OutputLineSpec {
  /** Key used with set()/get() (e.g. `relay`, `boot`). */
  id: string;
  line: LineRef;
  /** Logical level driven from the moment the line is requested. */
  initial: Level;
  /** Logical level restored by release() and by the exit hooks. */
  safe: Level;
  activeLow?: boolean;
}

export type Edge = 'rising' | 'falling' | 'both';

export interface EdgeEvent {
  /** Physical edge seen on the wire (inverted for activeLow inputs, so `rising` = became asserted). */
  edge: 'rising' | 'falling';
  /** Logical level after the edge. */
  level: Level;
}

export interface InputWatchSpec {
  line: LineRef;
  edge: Edge;
  activeLow?: boolean;
}

/** Where a line was found, for the log (§3.6 point 3: resolve at startup and log it). */
export interface ResolvedLine {
  id: string;
  chip: string;
  offset: number;
  /** sysfs global number (base + offset); only the sysfs backend has one. */
  global?: number;
}

/** Anything the exit hooks can put back into its safe state. */
export interface Releasable {
  release(): Promise<void>;
  /** Best-effort synchronous variant for process 'exit' (no event loop left). */
  releaseSync(): void;
}

/** A set of output lines held for the whole run by one owner. */
export interface GpioLines extends Releasable {
  readonly backend: string;
  readonly resolved: readonly ResolvedLine[];
  set(id: string, level: Level): Promise<void>;
  /** Last logical level written (outputs are owned by us, so this is what the line drives). */
  get(id: string): Level;
}

export interface GpioWatch {
  close(): Promise<void>;
}

export interface GpioBackend {
  readonly name: string;
  requestOutputs(specs: readonly OutputLineSpec[]): Promise<GpioLines>;
  watch(spec: InputWatchSpec, onEdge: (e: EdgeEvent) => void): Promise<GpioWatch>;
}

export function physical(level: Level, activeLow?: boolean): Level {
  return (activeLow ? 1 - level : level) as Level;
}

export function describeLine(ref: LineRef): string {
  return 'name' in ref ? JSON.stringify(ref.name) : `${JSON.stringify(ref.chip)} offset ${ref.offset}`;
}

export function checkSpecs(specs: readonly OutputLineSpec[]): void {
  if (specs.length === 0) throw new RigError('gpio: no output lines requested');
  const ids = new Set<string>();
  for (const s of specs) {
    if (ids.has(s.id)) throw new RigError(`gpio: line id ${JSON.stringify(s.id)} requested twice`);
    ids.add(s.id);
    if ('offset' in s.line && !(Number.isInteger(s.line.offset) && s.line.offset >= 0)) {
      throw new RigError(`gpio: bad offset ${String(s.line.offset)} for line ${JSON.stringify(s.id)}`);
    }
    for (const l of [s.initial, s.safe]) if (l !== 0 && l !== 1) throw new RigError(`gpio: bad level ${String(l)} for ${JSON.stringify(s.id)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Exit / signal hooks

/** The bits of `process` the hooks use (tests pass an EventEmitter). */
export interface HookProcess {
  on(event: string, fn: (...args: unknown[]) => void): unknown;
  off(event: string, fn: (...args: unknown[]) => void): unknown;
}

export interface ReleaseHookOptions {
  proc?: HookProcess;
  signals?: readonly NodeJS.Signals[];
  /** Called after an async release on a signal; default exits with 128 + signal number. Pass null to keep running. */
  exit?: ((code: number) => void) | null;
}

const SIGNAL_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

interface HookState {
  targets: Set<Releasable>;
  remove: () => void;
}
const hookStates = new Map<HookProcess, HookState>();

/**
 * Registers `target` so that process exit (synchronously) and SIGINT/SIGTERM (asynchronously)
 * return its lines to their safe levels. Idempotent: registering the same target twice is a
 * no-op, the process listeners are installed once per process object, and release() of a
 * GpioLines is itself idempotent. Returns an unregister function.
 */
export function releaseOnExit(target: Releasable, opts: ReleaseHookOptions = {}): () => void {
  const proc = opts.proc ?? (process as unknown as HookProcess);
  let state = hookStates.get(proc);
  if (!state) {
    const targets = new Set<Releasable>();
    const exit = opts.exit === undefined ? (code: number) => process.exit(code) : opts.exit;
    const signals = opts.signals ?? ['SIGINT', 'SIGTERM'];
    const onExit = () => {
      for (const t of [...targets]) {
        try {
          t.releaseSync();
        } catch {
          // exiting anyway; nothing left to report to
        }
      }
    };
    let signalled = false;
    const onSignal = (...args: unknown[]) => {
      const sig = args[0] as NodeJS.Signals;
      if (signalled) return;
      signalled = true;
      void Promise.allSettled([...targets].map((t) => t.release())).then(() => {
        signalled = false;
        exit?.(SIGNAL_CODES[sig] ?? 1);
      });
    };
    proc.on('exit', onExit);
    for (const s of signals) proc.on(s, onSignal);
    state = {
      targets,
      remove: () => {
        proc.off('exit', onExit);
        for (const s of signals) proc.off(s, onSignal);
        hookStates.delete(proc);
      },
    };
    hookStates.set(proc, state);
  }
  const st = state;
  st.targets.add(target);
  return () => {
    st.targets.delete(target);
    if (st.targets.size === 0) st.remove();
  };
}
