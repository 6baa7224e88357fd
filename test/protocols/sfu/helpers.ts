/** Deterministic test data: a failing case must reproduce from its seed. */
export function seededBytes(seed: number, length: number): Buffer {
  let state = seed >>> 0 || 1;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) >>> 24;
  }
  return out;
}

export function hexBytes(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/** Feeds `stream` to `push` in slices of `size` bytes and concatenates the results. */
export function pushInSlices<T>(stream: Uint8Array, size: number, push: (chunk: Uint8Array) => T[]): T[] {
  const out: T[] = [];
  for (let at = 0; at < stream.length; at += size) out.push(...push(stream.subarray(at, at + size)));
  return out;
}
