import { describe, expect, it } from '@jest/globals';
import { sameBytes } from './bytes.js';

describe('sameBytes (the test helper for flash contents)', () => {
  it('is undefined for equal bytes, whatever the view', () => {
    const big = Buffer.alloc(130 * 1024, 0xa5);
    expect(sameBytes(Buffer.from(big), big)).toBeUndefined();
    expect(sameBytes(new Uint8Array(big).subarray(1, 5), big.subarray(1, 5))).toBeUndefined();
  });

  it('names the first differing offset, both bytes and how many differ', () => {
    const want = Buffer.alloc(0x2000, 0);
    const got = Buffer.from(want);
    got[0x1234] = 0xff;
    got[0x1300] = 0x01;
    expect(sameBytes(got, want)).toBe('2 byte(s) differ, the first at offset 0x1234 (lengths 8192 and 8192): got ff000000000000000000000000000000…, expected 00000000000000000000000000000000…');
  });

  it('a shorter or longer read is a difference too', () => {
    expect(sameBytes(Buffer.from([1, 2]), Buffer.from([1, 2, 3]))).toMatch(/1 byte\(s\) differ, the first at offset 0x2 \(lengths 2 and 3\): got \(end\)…, expected 03…/);
  });
});
