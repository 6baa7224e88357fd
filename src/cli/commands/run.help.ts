/**
 * What `hil run --help` shows and the options it parses, apart from the
 * implementation (./run.ts): `--help` and a bad option never load it.
 */
import type { CommandHelp } from '../command.js';

export const runHelp: CommandHelp = {
  path: ['run'],
  summary: 'run suites (brownout campaigns) as Jest tests and write an Allure report',
  usage: 'hil run [SUITE...] [--rig RIG] [--campaign NAME] [--reports DIR] [--workers N] [--no-html] [--json]',
  details: `Each suite is a set of cut points over one update (image A -> image B) on one or more rigs.
Every cut becomes one test; a rig that runs a seeded-bug bootloader (expect: caught) gets one more
test that the sweep caught it. With no SUITE, runs every suites/*.yaml (the default twin campaign).
Results: reports/allure-results, reports/html/index.html (single file, opens offline).
Exit 1 if any cut failed (the device's fault), else 3 if any was broken (the rig's), else 0.

  --rig RIG          run every suite on this rig instead of the suite's own list
  --campaign NAME    Allure epic (default: default); e.g. nightly, signoff, repro
  --reports DIR      output folder (default: reports)
  --workers N        rigs run in parallel, one per Jest worker (default: 2)
  --no-html          skip the HTML report`,
  examples: ['hil run', 'hil run suites/brownout-sfu.yaml --rig twin-rp2040-sfu', 'hil run --campaign nightly --json | jq .totals'],
  options: {
    rig: { type: 'string' },
    campaign: { type: 'string' },
    reports: { type: 'string' },
    workers: { type: 'string' },
    'no-html': { type: 'boolean' },
  },
};
