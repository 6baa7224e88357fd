// A suite's accepted weaknesses (`expect.known`, issue 10 item 3): parsed into plain matchers, and
// every bad entry reported at its file:line:col with its field, as the rest of the schema does.
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseSuite, type SuiteConfig } from '../../src/config/index.js';
import { configErrorOf, yaml } from './helpers.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const FILE = path.join(FIXTURES, 'suites', 'inline.yaml');
const SHOWN = path.relative(process.cwd(), FILE);
const HEAD = ['images:', '  from: ../firmware/app-v1.page2bin', '  to: ../firmware/app-v2.page2bin', 'cuts:', '  sweeps: [{ mode: every-op }]'];

function suite(...lines: string[]): SuiteConfig {
  return parseSuite(yaml(...HEAD, ...lines), FILE);
}

describe('expect.known', () => {
  it('parses an entry with one outcome and an address, and one with lists and a range', () => {
    const parsed = suite(
      'expect:',
      '  known:',
      '    - { outcome: boot-loop, cut: torn, op: { kind: program, address: 0x72FE0 }, reason: torn copy_done, ref: "mcuboot#1966" }',
      '    - outcome: [bricked, waiting]',
      '      cut: [torn, before]',
      '      op: { target: flash, address: { from: 0x1000, to: 0x1FFF }, stage: reboot }',
      '      reason: a torn erase of the scratch',
    );
    expect(parsed.expect.known).toEqual([
      { index: 0, outcomes: ['boot-loop'], cuts: ['torn'], op: { kind: 'program', address: { from: 0x72fe0, to: 0x72fe0 } }, reason: 'torn copy_done', ref: 'mcuboot#1966' },
      // Cut modes in the engine's order whatever the order typed.
      { index: 1, outcomes: ['bricked', 'waiting'], cuts: ['before', 'torn'], op: { target: 'flash', address: { from: 0x1000, to: 0x1fff }, stage: 'reboot' }, reason: 'a torn erase of the scratch' },
    ]);
  });

  it('a suite without known entries has none (no empty list in the config)', () => {
    expect(suite().expect.known).toBeUndefined();
    expect(suite('expect:', '  known: []').expect.known).toBeUndefined();
  });

  it('names the file, line:col and field of each bad entry', () => {
    const error = configErrorOf(() =>
      suite(
        'expect:',
        '  known:',
        '    - { outcome: boot-lop, op: { address: 0x10 }, reason: r }',
        '    - { outcome: boot-loop, op: { kind: program }, reason: r, ref: "" }',
        '    - { outcome: boot-loop, op: { index: 566 }, reason: r }',
        '    - { outcome: boot-loop, op: { kind: program, address: { from: 0x20, to: 0x10 } }, reason: r }',
        '    - { outcome: boot-loop, cut: sideways, op: { address: 0x10 } }',
        '    - { outcome: updated, op: { address: 0x10 }, reason: r }',
        '    - { outcome: boot-loop, op: { address: -1 }, reason: r, why: x }',
      ),
    );
    expect(error.message.split('\n')).toEqual([
      `${SHOWN}:8:18: expect.known[0].outcome: expected one of updated, rolled-back, waiting, degraded, bricked, wrong-image, version-mismatch, boot-loop, got "boot-lop"`,
      `${SHOWN}:9:68: expect.known[1].ref: expected a non-empty string, got ""`,
      `${SHOWN}:10:35: expect.known[2].op.index: unknown key`,
      `${SHOWN}:11:77: expect.known[3].op.address.to: expected at least from (0x20), got 0x10`,
      `${SHOWN}:12:7: expect.known[4].reason: required`,
      `${SHOWN}:12:34: expect.known[4].cut: expected one of before, after, torn, got "sideways"`,
      `${SHOWN}:13:18: expect.known[5].outcome: updated is in expect.safe: a safe point is never failing, so a known weakness cannot end in it`,
      `${SHOWN}:14:44: expect.known[6].op.address: expected an integer >= 0 and <= 4294967295, got -1`,
      `${SHOWN}:14:61: expect.known[6].why: unknown key`,
    ]);
  });

  it('an entry that names neither an address nor a kind could match anything: refused at its op', () => {
    const error = configErrorOf(() => suite('expect:', '  known:', '    - { outcome: boot-loop, op: { stage: reboot }, reason: r }'));
    expect(error.message).toBe(`${SHOWN}:8:33: expect.known[0].op: expected op.address or op.kind: a known weakness names where it lies (an op index moves with the image)`);
  });
});
