/**
 * Issue 9 item 8: one hex formatter (src/core/hex.ts). Its defaults are how boot code prints an
 * address; the options keep the few places that print otherwise exactly as they were (OpenOCD's
 * command words, bare digits inside the bootloader's own text, a byte).
 */
import { describe, expect, test } from '@jest/globals';
import { hex, hex32, hexDigits } from '../../src/core/hex.js';
import { openOcdHex, programArgv, stm32OptionsWriteArgv } from '../../src/protocols/openocd/argv.js';
import { sfuCodeName } from '../../src/protocols/sfu/constants.js';

describe('core/hex', () => {
  test('defaults: 0x, 8 digits, upper case, unsigned', () => {
    expect(hex(0x1fffc000)).toBe('0x1FFFC000');
    expect(hex(0)).toBe('0x00000000');
    expect(hex(-1)).toBe('0xFFFFFFFF');
    expect(hex32(0x20041ffe)).toBe('0x20041FFE');
    expect(hexDigits(0xe040107a)).toBe('E040107A');
    expect(hexDigits(0x1b, 2)).toBe('1B');
  });

  test('options: width (0 pads nothing), lower case, no prefix', () => {
    expect(hex(0xab, { width: 2 })).toBe('0xAB');
    expect(hex(0x200, { width: 0 })).toBe('0x200');
    expect(hex(0xfc0, { width: 0, lower: true })).toBe('0xfc0');
    expect(hex(0x10ab, { width: 4, lower: true, prefix: false })).toBe('10ab');
    expect(hex(0x123456789, { width: 0 })).toBe('0x23456789'); // read as 32-bit, like the words it prints
  });

  test('OpenOCD command words keep their lower-case 8-digit form and refuse what is not a 32-bit address', () => {
    expect(openOcdHex(0x1fffc000)).toBe('0x1fffc000');
    expect(() => openOcdHex(-1)).toThrow(RangeError);
    expect(() => openOcdHex(0x1_0000_0000)).toThrow(RangeError);
    const setup = { target: 'stm32f429' as const, interfaceCfg: 'interface/stlink.cfg' };
    expect(programArgv(setup, 'fw.bin', 0x0800c000).join(' ')).toContain('program {fw.bin} 0x0800c000');
    expect(stm32OptionsWriteArgv(setup, 0xfec).join(' ')).toContain('stm32f2x options_write 0 0xFEC');
  });

  test('an unknown SFU code is named by its byte: 0x followed by two upper-case digits', () => {
    expect(sfuCodeName(0x97)).toBe('INFO');
    expect(sfuCodeName(0x0e)).toBe('0x0E');
  });
});
