// Comparing flash contents with an image. Jest's toEqual walks a Buffer as a generic object, key
// by key: about 0.5 s of CPU for a 130 KiB image, which made each cut test in the twin files cost
// seconds. Buffer.equals is a memcmp; on a mismatch this still says where and what differs.

/**
 * undefined when `actual` holds exactly `expected`; otherwise a short description of the first
 * difference (offset, both bytes, lengths), for `expect(sameBytes(a, b)).toBeUndefined()`.
 */
export function sameBytes(actual: Uint8Array, expected: Uint8Array): string | undefined {
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength);
  const e = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  if (a.equals(e)) return undefined;
  const n = Math.min(a.length, e.length);
  let i = 0;
  while (i < n && a[i] === e[i]) i++;
  const hex = (b: Buffer) => b.subarray(i, Math.min(b.length, i + 16)).toString('hex') || '(end)';
  const count = (() => {
    let d = Math.abs(a.length - e.length);
    for (let j = i; j < n; j++) if (a[j] !== e[j]) d++;
    return d;
  })();
  return `${count} byte(s) differ, the first at offset 0x${i.toString(16)} (lengths ${a.length} and ${e.length}): got ${hex(a)}…, expected ${hex(e)}…`;
}
