// The `degraded` outcome (a device that answers only through its bootloader's last resort) and the
// `verify` op stage a known weakness may name: accepted where outcomes and stages are, not by default.
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseSuite, type SuiteConfig } from '../../src/config/index.js';
import { knownMatches } from '../../src/config/suite-schema.js';
import { DEVICE_OUTCOMES, OUTCOMES } from '../../src/config/vocabulary.js';
import { configErrorOf, yaml } from './helpers.js';

const FILE = path.join(import.meta.dirname, 'fixtures', 'suites', 'inline.yaml');
const SHOWN = path.relative(process.cwd(), FILE);
const HEAD = ['images:', '  from: ../firmware/app-v1.page2bin', '  to: ../firmware/app-v2.page2bin', 'cuts:', '  sweeps: [{ mode: every-op }]'];

function suite(...lines: string[]): SuiteConfig {
  return parseSuite(yaml(...HEAD, ...lines), FILE);
}

describe('degraded in the vocabulary', () => {
  it('is a device outcome, between waiting and the failures', () => {
    expect(DEVICE_OUTCOMES).toContain('degraded');
    expect(OUTCOMES.indexOf('degraded')).toBe(OUTCOMES.indexOf('waiting') + 1);
  });

  it('is neither safe nor catching by default', () => {
    const s = suite();
    expect(s.expect.safe).toEqual(['updated', 'rolled-back']);
    expect(s.expect.caughtWhen).not.toContain('degraded');
  });

  it('a suite may list it in expect.safe or in expect.caughtWhen', () => {
    expect(suite('expect:', '  safe: [updated, rolled-back, waiting, degraded]').expect.safe).toContain('degraded');
    expect(suite('expect:', '  caughtWhen: [bricked, degraded]').expect.caughtWhen).toEqual(['bricked', 'degraded']);
  });

  it('not in both', () => {
    const error = configErrorOf(() => suite('expect:', '  safe: [updated, degraded]', '  caughtWhen: [degraded]'));
    expect(error.message).toBe(`${SHOWN}:8:16: expect.caughtWhen[0]: degraded is also in expect.safe: an outcome cannot be both`);
  });

  it('a misspelt outcome names the list with degraded in it', () => {
    const error = configErrorOf(() => suite('expect:', '  caughtWhen: [degradd]'));
    expect(error.message).toBe(`${SHOWN}:7:16: expect.caughtWhen[0]: expected one of updated, rolled-back, waiting, degraded, bricked, wrong-image, version-mismatch, boot-loop, got "degradd"`);
  });
});

describe('expect.known with stage: verify', () => {
  const parsed = () =>
    suite('expect:', '  known:', '    - { outcome: degraded, op: { address: { from: 0x08004000, to: 0x0801FFFF }, stage: verify }, reason: the short final rewrite }').expect.known![0]!;

  it('parses', () => {
    expect(parsed()).toEqual({ index: 0, outcomes: ['degraded'], op: { address: { from: 0x08004000, to: 0x0801ffff }, stage: 'verify' }, reason: 'the short final rewrite' });
  });

  it('matches a slot-1 op cut while the host waits for the check, not the same op while the host still sends', () => {
    const op = { kind: 'program', target: 'flash', address: 0x08004000, length: 2048 };
    expect(knownMatches(parsed(), { ...op, stage: 'verify' }, { mode: 'after' }, 'degraded')).toBe(true);
    expect(knownMatches(parsed(), { ...op, stage: 'update' }, { mode: 'after' }, 'degraded')).toBe(false);
    expect(knownMatches(parsed(), { ...op, stage: 'verify' }, { mode: 'after' }, 'bricked')).toBe(false);
  });

  it('an unknown stage is refused naming the three', () => {
    const error = configErrorOf(() => suite('expect:', '  known:', '    - { outcome: degraded, op: { kind: erase, stage: check }, reason: r }'));
    expect(error.message).toBe(`${SHOWN}:8:54: expect.known[0].op.stage: expected one of update, verify, reboot, got "check"`);
  });
});
