/**
 * The tar reader on archives made by the real `tar` binary (GNU tar's default format and POSIX
 * ustar), and on what is not a tar: garbage, a truncated file, a damaged header.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { memberOfEntry, productMembers, readUstar } from '../../src/core/ustar.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ustar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const host = Buffer.alloc(1300, 0xa5);
const radio = Buffer.from('radio image bytes');
writeFileSync(path.join(dir, 'host.signed.bin'), host);
writeFileSync(path.join(dir, 'radio.signed.bin'), radio);

function tar(name: string, ...args: string[]): Buffer {
  const out = path.join(dir, name);
  execFileSync('tar', ['cf', out, ...args, '-C', dir, 'host.signed.bin', 'radio.signed.bin']);
  return readFileSync(out);
}

describe('readUstar', () => {
  it.each([
    ['GNU tar default', [] as string[]],
    ['POSIX ustar', ['--format=ustar']],
    ['pax', ['--format=pax']],
  ])('reads the files of a %s archive in order, with their bytes', (_, args) => {
    const entries = readUstar(tar(`a-${args.join('')}.tar`, ...args));
    expect(entries.map((e) => e.name)).toEqual(['host.signed.bin', 'radio.signed.bin']);
    expect(entries[0]!.data.equals(host)).toBe(true);
    expect(entries[1]!.data.equals(radio)).toBe(true);
  });

  it('reads long names (GNU L entries) and folders, keeping only regular files', () => {
    const deep = path.join(dir, 'x'.repeat(60), 'y'.repeat(60));
    mkdirSync(deep, { recursive: true });
    writeFileSync(path.join(deep, 'radio.v2.bin'), radio);
    const out = path.join(dir, 'deep.tar');
    execFileSync('tar', ['cf', out, '-C', dir, 'x'.repeat(60)]);
    const entries = readUstar(readFileSync(out));
    expect(entries.map((e) => memberOfEntry(e.name))).toEqual(['radio']);
    expect(entries[0]!.name.endsWith('/radio.v2.bin')).toBe(true);
  });

  it('refuses garbage, a truncated archive and a damaged header, saying which', () => {
    const good = tar('b.tar', '--format=ustar');
    expect(() => readUstar(Buffer.from('hello'))).toThrow(/not a tar file: 5 bytes/);
    expect(() => readUstar(Buffer.alloc(2048, 0x41))).toThrow(/no "ustar" magic in the header at byte 0/);
    expect(() => readUstar(good.subarray(0, 1000))).toThrow(/tar truncated: entry at byte 0 says 1300 bytes/);
    const damaged = Buffer.from(good);
    damaged[10] ^= 0x01;
    expect(() => readUstar(damaged)).toThrow(/header at byte 0 has a bad checksum/);
    expect(() => readUstar(Buffer.alloc(1024))).toThrow(/no files/);
  });
});

describe('productMembers', () => {
  it('keys each file by its basename up to the first dot', () => {
    const members = productMembers(tar('c.tar'));
    expect(Object.keys(members)).toEqual(['host', 'radio']);
    expect(members.radio!.equals(radio)).toBe(true);
  });

  it('refuses two files of one member', () => {
    writeFileSync(path.join(dir, 'host.v2.bin'), radio);
    const out = path.join(dir, 'dup.tar');
    execFileSync('tar', ['cf', out, '-C', dir, 'host.signed.bin', 'host.v2.bin']);
    expect(() => productMembers(readFileSync(out))).toThrow('tar has two files for member host: host.signed.bin and host.v2.bin');
  });
});
