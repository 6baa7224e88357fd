/** A group word (`hil sfu`, `hil twin`) with --help lists its commands instead of "unknown command". */
import { describe, expect, test } from '@jest/globals';
import { hil } from './hil.js';

describe('hil <group> --help', () => {
  test('hil sfu --help lists sfu upload (exit 0); hil sfu nope is a usage error that still lists it', async () => {
    const help = await hil(['sfu', '--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('hil sfu upload');
    expect(help.stderr).not.toContain('unknown command');
    const typo = await hil(['sfu', 'nope']);
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toContain('unknown command: sfu nope');
    expect(typo.stderr).toContain('hil sfu upload');
  });
});
