/**
 * Time for the orchestrator and the twin. Everything that waits takes a Clock, so the same
 * code runs on the wall clock (a real rig, a twin on a pty) or on a virtual clock (the twin
 * in-process at time factor 0, where a whole update + cut + recovery costs only compute).
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the clock started (virtual or scaled real time). */
  now(): number;
  /** Calls fn after ms of clock time. */
  setTimer(ms: number, fn: () => void): Timer;
  /** Resolves after ms of clock time; rejects with signal.reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      timer.cancel();
      reject(abortError(signal!));
    };
    const timer = clock.setTimer(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The longest delay setTimeout honours. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Wall-clock time scaled by a time factor: clock ms = real ms / factor. Factor 1 is real time;
 * 0.1 runs ten times faster than the device would.
 */
export class ScaledClock implements Clock {
  private readonly start = performance.now();
  constructor(readonly factor = 1) {
    if (!(factor > 0)) throw new RangeError(`ScaledClock: factor must be > 0, got ${factor}`);
  }
  now(): number {
    return (performance.now() - this.start) / this.factor;
  }
  setTimer(ms: number, fn: () => void): Timer {
    // setTimeout fires after 1 ms for anything above 2^31-1 ms (24.8 days), so a long wait is
    // re-armed in pieces: `after:1e20ms` must wait (and stay abortable), not cut at once.
    const delay = Number.isNaN(ms) ? 0 : Math.max(0, ms * this.factor);
    const due = performance.now() + delay;
    let handle: ReturnType<typeof setTimeout>;
    const arm = () => {
      const left = due - performance.now();
      handle = left > MAX_TIMEOUT_MS ? setTimeout(arm, MAX_TIMEOUT_MS) : setTimeout(fn, Math.max(0, left));
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }
}

/**
 * Events a batched VirtualClock fires back to back before it gives the event loop a macrotask
 * turn (wall-clock timers, I/O, a worker's messages).
 */
const BATCH_EVENTS = 256;

/** A timer in the heap; it is its own Timer handle (no closure and handle object per timer). */
class Pending implements Timer {
  cancelled = false;
  constructor(
    readonly at: number,
    readonly seq: number,
    readonly fn: () => void,
  ) {}
  cancel(): void {
    this.cancelled = true;
  }
}

/**
 * Discrete-event time. Timers fire in (time, creation) order, and time jumps straight to the
 * next timer whenever the process has nothing else to do: each firing is followed by a
 * setImmediate, so promise continuations started by one event run before the next event.
 * Only in-process parts may share a VirtualClock: real I/O (a pty) would race ahead of it.
 */
export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private heap: Pending[] = [];
  private pumping = false;
  private disposed = false;
  /** Events fired so far (a cheap work counter for benchmarks). */
  fired = 0;
  /**
   * Batched: the next event fires from process.nextTick, armed by a microtask queued after the
   * event's own work, instead of from setImmediate. Node runs ticks only once the microtask queue
   * is empty, so every promise continuation the event started (and theirs) has still run before
   * the next event, without a turn of the event loop per event. Ticks queued by those
   * continuations may run after the next event rather than before it, so only clocks whose parts
   * settle through promises and synchronous emitters alone (the in-process twin of a sweep) opt in.
   */
  batched = false;
  private burst = 0;

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): Timer {
    const p = new Pending(this.t + Math.max(0, ms), this.seq++, fn);
    if (!this.disposed) {
      this.push(p);
      this.schedulePump();
    }
    return p;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Drops every pending timer and stops advancing; later timers are ignored. */
  dispose(): void {
    this.disposed = true;
    this.heap = [];
  }

  get pending(): number {
    return this.heap.length;
  }

  private schedulePump(): void {
    if (this.pumping) return;
    this.pumping = true;
    setImmediate(this.pumpTurn);
  }

  private readonly pumpTurn = (): void => {
    this.burst = 0;
    this.pump();
  };

  /** Queued behind the event's microtasks: the tick it arms runs once they have all drained. */
  private readonly armTick = (): void => {
    process.nextTick(this.pump);
  };

  private readonly pump = (): void => {
    this.pumping = false;
    // One event per turn of the event loop, so promise jobs it started settle before the next.
    const next = this.pop();
    if (!next) return;
    this.t = Math.max(this.t, next.at);
    this.fired++;
    next.fn();
    if (!this.heap.length) return;
    if (this.batched && ++this.burst < BATCH_EVENTS) {
      this.pumping = true;
      queueMicrotask(this.armTick);
    } else this.schedulePump();
  };

  private pop(): Pending | undefined {
    while (this.heap.length) {
      const top = this.heap[0]!;
      const last = this.heap.pop()!;
      if (this.heap.length) {
        this.heap[0] = last;
        this.siftDown(0);
      }
      if (!top.cancelled) return top;
    }
    return undefined;
  }

  private push(p: Pending): void {
    const h = this.heap;
    h.push(p);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && less(h[l]!, h[m]!)) m = l;
      if (r < h.length && less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function less(a: Pending, b: Pending): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Time factor 0 means virtual time; anything else scales the wall clock. */
export function clockFor(timeFactor: number): Clock {
  return timeFactor === 0 ? new VirtualClock() : new ScaledClock(timeFactor);
}
