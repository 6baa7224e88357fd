import { ownCopy, type FlashSnapshot, type ReusedSnapshot } from './nor-flash.js';
import { sameExtras } from './state-digest.js';

/** A state as the log keeps it: the sectors that differ from the state before it, or the whole (a checkpoint). */
interface Logged {
  /** Sector indices that differ from the previous state, with their buffers and write counts. */
  changed: Int32Array;
  sectors: Buffer[];
  writes: (Uint8Array | undefined)[];
  /** What the state stores beside the flash (option bytes), by reference. */
  extras: Record<string, unknown>;
  /** Every CHECKPOINT_EVERY-th state whole, to build any state from the nearest one before it. */
  whole?: { sectors: Buffer[]; writes: (Uint8Array | undefined)[] };
}

/** States between two whole ones: a state is built from at most this many changes. */
const CHECKPOINT_EVERY = 32;

/**
 * The states of a recording, in the order they were taken, each as the sectors that changed since
 * the one before. A product's state is two arrays of 1,536 sector references; an update of 800 ops
 * kept one per op (20 MB of arrays, copied by every young-generation collection that found them
 * alive), while an op changes a sector or two. Ids are positions: 0, 1, 2... `get` builds a state in
 * arrays of the log's own, valid until the next `get` (a cut state is restored from it, which
 * copies the references); a sweep loads its states in op order, each from the one before.
 */
export class StateLog {
  private readonly states: Logged[] = [];
  /** The last state added, whole (what the next one is compared with). */
  private readonly tip: ReusedSnapshot = { sectors: [], writes: [] };
  /** The last state built by `get`, and its id (-1: none). */
  private readonly built: ReusedSnapshot = { sectors: [], writes: [] };
  private builtId = -1;

  get size(): number {
    return this.states.length;
  }

  /**
   * Adds `state` (its arrays may be reused by the caller: what is kept is copied) and returns its
   * id, or the last one's when nothing differs from it (sameState's rule: the same buffers).
   */
  add(state: FlashSnapshot): number {
    const { sectors, writes = [], ...extras } = state;
    const tip = this.tip;
    const last = this.states.at(-1);
    if (last && sectors.length !== tip.sectors.length) throw new Error(`state of ${sectors.length} sectors in a log of ${tip.sectors.length}`);
    const changed: number[] = [];
    for (let i = 0; i < sectors.length; i++) {
      if (!last || tip.sectors[i] !== sectors[i] || tip.writes[i] !== writes[i]) changed.push(i);
    }
    if (last && !changed.length && sameExtras({ sectors: [], ...last.extras }, { sectors: [], ...extras })) return this.states.length - 1;
    const logged: Logged = { changed: Int32Array.from(changed), sectors: [], writes: [], extras };
    for (const i of changed) {
      tip.sectors[i] = sectors[i]!;
      tip.writes[i] = writes[i];
      logged.sectors.push(sectors[i]!);
      logged.writes.push(writes[i]);
    }
    if (this.states.length % CHECKPOINT_EVERY === 0) logged.whole = { sectors: tip.sectors.slice(), writes: tip.writes.slice() };
    this.states.push(logged);
    return this.states.length - 1;
  }

  /** State `id`, in the log's own arrays (valid until the next `get`). */
  get(id: number): FlashSnapshot {
    const logged = this.states[id];
    if (!logged) throw new RangeError(`no state ${id} in the log (${this.states.length})`);
    const built = this.built;
    let from = this.builtId;
    if (from > id || from < 0 || id - from > CHECKPOINT_EVERY) {
      from = id - (id % CHECKPOINT_EVERY);
      const whole = this.states[from]!.whole!;
      built.sectors.length = whole.sectors.length;
      built.writes.length = whole.sectors.length;
      for (let i = 0; i < whole.sectors.length; i++) {
        built.sectors[i] = whole.sectors[i]!;
        built.writes[i] = whole.writes[i];
      }
    }
    for (let k = from + 1; k <= id; k++) {
      const step = this.states[k]!;
      for (let j = 0; j < step.changed.length; j++) {
        built.sectors[step.changed[j]!] = step.sectors[j]!;
        built.writes[step.changed[j]!] = step.writes[j];
      }
    }
    this.builtId = id;
    return { ...logged.extras, sectors: built.sectors, writes: built.writes };
  }

  /** State `id` in arrays of its own (to send to another thread). */
  copy(id: number): FlashSnapshot {
    return ownCopy(this.get(id));
  }
}
