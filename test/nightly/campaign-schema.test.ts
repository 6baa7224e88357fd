// The campaign file: every problem at file:line:col with its field path, all at once (as the suite
// and rig files do), the defaults of the gate and history, and suite/rig files it names resolved
// beside the campaign's folder (a missing one is reported at the line that names it).
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigFileError } from '../../src/config/errors.js';
import { DEFAULT_HISTORY_KEEP, loadCampaign, parseCampaign } from '../../src/config/campaign-schema.js';

const tmp = mkdtempSync(join(tmpdir(), 'hil-campaign-'));
mkdirSync(join(tmp, 'campaigns'));
mkdirSync(join(tmp, 'suites'));
mkdirSync(join(tmp, 'rigs'));
writeFileSync(join(tmp, 'suites', 'a.yaml'), 'name: a\n');
writeFileSync(join(tmp, 'rigs', 'r1.yaml'), 'name: r1\n');
const file = join(tmp, 'campaigns', 'nightly.yaml');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function problems(text: string): string[] {
  try {
    parseCampaign(text, file);
  } catch (err) {
    if (err instanceof ConfigFileError) return err.message.split('\n');
    throw err;
  }
  throw new Error('parsed without a problem');
}

describe('campaign file', () => {
  test('defaults: gate maxFailures 0, minTests 1, every rig tested, maxRigErrors 0; keep 30 runs; no confirm; name from the file', () => {
    const c = parseCampaign('suites: [a]\n', file);
    expect(c.name).toBe('nightly');
    expect(c.suites).toEqual([{ file: join(tmp, 'suites', 'a.yaml') }]);
    expect(c.gate).toEqual({ maxFailures: 0, minTests: 1, everyRigTested: true, maxRigErrors: 0 });
    expect(c.history).toEqual({ keep: DEFAULT_HISTORY_KEEP });
    expect(c.confirm).toBe(0);
  });

  test('a suite on rigs the campaign lists: names resolve to ../rigs/NAME.yaml, overrides kept, expect only when written', () => {
    const c = parseCampaign(['suites:', '  - suite: a', '    rigs:', '      - r1', '      - { rig: r1, variant: sign-before-flush, expect: caught }'].join('\n'), file);
    expect(c.suites[0]!.rigs).toEqual([
      { rig: 'r1', path: join(tmp, 'rigs', 'r1.yaml') },
      { rig: 'r1', path: join(tmp, 'rigs', 'r1.yaml'), expect: 'caught', twin: { variant: 'sign-before-flush' } },
    ]);
  });

  test('every problem at file:line:col with its field, all at once', () => {
    const lines = problems(
      ['name: nightly', 'suites:', '  - a', '  - { suite: a, rigs: [] }', 'gate:', '  maxFailures: -1', '  minTest: 10', '  everyRigTested: yes please', 'history: { keep: 0 }', 'confirm: 1.5'].join(
        '\n',
      ),
    );
    const at = 'campaigns/nightly.yaml';
    const shown = lines.map((l) => l.replace(`${tmp}/`, ''));
    expect(shown).toEqual([
      `${at}:4:23: suites[1].rigs: expected at least 1 entry, got 0`,
      `${at}:6:16: gate.maxFailures: expected an integer >= 0 and <= 1000000, got -1`,
      `${at}:7:3: gate.minTest: unknown key (did you mean "minTests"?)`,
      `${at}:8:19: gate.everyRigTested: expected true or false, got "yes please"`,
      `${at}:9:18: history.keep: expected an integer >= 1 and <= 1000, got 0`,
      `${at}:10:10: confirm: expected an integer >= 0 and <= 100, got 1.5`,
    ]);
  });

  test('a suite or rig file that does not exist is reported at the line that names it', () => {
    const lines = problems(['suites:', '  - a', '  - missing-suite', '  - suite: a', '    rigs: [r1, no-such-rig]'].join('\n')).map((l) => l.replaceAll(`${tmp}/`, ''));
    expect(lines).toEqual([
      'campaigns/nightly.yaml:3:5: suites[1]: suite suites/missing-suite.yaml: no such file',
      'campaigns/nightly.yaml:5:16: suites[2].rigs[1]: rig rigs/no-such-rig.yaml: no such file',
    ]);
  });

  test('no suites, and a YAML that is not a mapping, are refused', () => {
    expect(problems('suites: []\n')[0]).toMatch(/:1:9: suites: expected at least 1 entry, got 0$/);
    expect(problems('description: x\n')[0]).toMatch(/:1:1: suites: required$/);
    expect(problems('- a\n')[0]).toMatch(/expected a campaign as a YAML mapping at the top level, got a list$/);
  });

  test("the repository's campaigns load: nightly on the twins, nightly-lab with the Pico bench rig", async () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
    const nightly = await loadCampaign(join(root, 'campaigns/nightly.yaml'));
    expect(nightly.suites.map((s) => s.file.replace(`${root}/`, ''))).toEqual(['suites/brownout-sfu.yaml', 'suites/brownout-sfu-erase-running.yaml', 'suites/detect-stm32-torn-commit.yaml']);
    expect(nightly.gate).toEqual({ maxFailures: 0, minTests: 6800, everyRigTested: true, maxRigErrors: 0 });
    const lab = await loadCampaign(join(root, 'campaigns/nightly-lab.yaml'));
    expect(lab.suites.flatMap((s) => s.rigs ?? []).map((r) => r.path.replace(`${root}/`, ''))).toEqual(['rigs/pi-pico-sfu.yaml']);
  });
});
