import type { ByteLink } from './byte-link.js';
import type { Console } from './console.js';
import { hasGaps } from './reconnecting-link.js';

const wired = new WeakMap<Console, WeakSet<ByteLink>>();

/**
 * Writes a link's gaps into a console's transcript: "serial … gone: why" where the port went away
 * and "serial … back after N ms" where it returned. A link without gaps gets no notes.
 * Returns an unsubscribe function.
 */
export function noteGaps(console: Console, link: ByteLink = console.link): () => void {
  if (!hasGaps(link)) return () => {};
  // Idempotent per console and link: a rig and a terminal may both ask, each gap is noted once.
  const seen = wired.get(console) ?? new WeakSet<ByteLink>();
  if (seen.has(link)) return () => {};
  seen.add(link);
  wired.set(console, seen);
  let name = link.description;
  const off = link.onGap((e) => {
    if (e.phase === 'start') {
      name = link.description;
      // What the device said up to the cut is complete: do not glue it to what it says after.
      console.flushPartial();
      console.note(`${name} gone: ${e.reason?.message ?? 'closed underneath'}`);
    } else {
      console.note(`${name} back after ${Math.round(e.ms ?? 0)} ms`);
    }
  });
  return () => {
    off();
    seen.delete(link);
  };
}
