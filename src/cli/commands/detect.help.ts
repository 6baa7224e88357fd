/**
 * What `hil detect --help` shows and the options it parses, apart from the
 * implementation (./detect.ts): `--help` and a bad option never load it.
 */
import type { CommandHelp } from '../command.js';
import { SCHEME_NAMES as SCHEMES } from '../../schemes/meta-registry.js';

const LAST_SCHEME = SCHEMES[SCHEMES.length - 1]!;

export const detectHelp: CommandHelp = {
  path: ['detect'],
  summary: 'sweep cuts over every scheme and bootloader variant on the twin: is every seeded bug caught?',
  usage: 'hil detect [--scheme S] [SUITE...] [--json]',
  details: `Runs the detection suites (suites/detect-*.yaml: each lists twin rigs with the correct bootloader and
every seeded-bug variant of one scheme, and the cuts to make) in this process, then prints one row per
scheme and variant: how many cuts, which outcomes, and whether the rig caught it. A buggy variant is
caught when at least one cut ended outside the suite's safe outcomes (or console and flash disagreed);
the correct bootloader must never be. Exit 0 iff every buggy variant is caught and no correct one fails.
The same suites run under \`hil run\`, with an Allure report.

  --scheme S   only this scheme (${SCHEMES.join(', ')})
  SUITE...     detection suites to run instead of suites/detect-*.yaml`,
  examples: ['hil detect', `hil detect --scheme ${LAST_SCHEME}`, 'hil detect --json | jq ".[] | select(.caught != .buggy)"'],
  options: { scheme: { type: 'string' } },
};
