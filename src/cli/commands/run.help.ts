/**
 * What `hil run --help` shows and the options it parses, apart from the
 * implementation (./run.ts): `--help` and a bad option never load it.
 */
import type { CommandHelp } from '../command.js';

export const runHelp: CommandHelp = {
  path: ['run'],
  summary: 'run suites (brownout campaigns) as Jest tests and write an Allure report',
  usage: 'hil run [SUITE...] [--rig RIG] [--campaign NAME] [--confirm N] [--reports DIR] [--keep N] [--workers N] [--no-html] [--json]',
  details: `Each suite is a set of cut points over one update (image A -> image B) on one or more rigs.
Every cut becomes one test; a rig that runs a seeded-bug bootloader (expect: caught) gets one more
test that the sweep caught it. With no SUITE, runs every suites/*.yaml (the default twin campaign).
A campaign file (campaigns/NAME.yaml) lists suites x rigs and a release gate; without one,
--campaign NAME is only a label. Each run adds to a per-board history (reports/history/) and
says what changed since the board's previous run (new failures, fixed, still failing, flaky).
Results: reports/allure-results, reports/html/index.html (single file, opens offline).
Exit 1 if any cut failed (the device's fault), else 3 if any was broken (the rig's), else 0.
With a campaign file its gate decides: 0 passed; 1 too many failures or too few tests; 3 too
many rig errors or a listed rig that gave no device result.

  --rig RIG          run every suite on this rig instead of the suite's own list
  --campaign NAME    run campaigns/NAME.yaml (or a .yaml path); a NAME with no file is a label
                     (Allure epic and history stream; default: default)
  --confirm N        re-run each failing cut N times: deterministic (N/N), intermittent (k/N)
                     or not reproduced (0/N); the result stays failed (default: the campaign's, 0)
  --reports DIR      output folder (default: reports); each run in reports/runs/<time>-<campaign>/,
                     reports/latest on the newest complete one
  --keep N           runs kept in reports/runs/ (default: $HIL_KEEP_RUNS, else 10); the latest
                     complete run is never removed
  --workers N        rigs run in parallel, one per Jest worker (default: 2)
  --no-html          skip the HTML report`,
  examples: ['hil run', 'hil run suites/brownout-sfu.yaml --rig twin-rp2040-sfu', 'hil run --campaign nightly', 'hil run --campaign nightly --confirm 3 --json | jq .gate'],
  options: {
    rig: { type: 'string' },
    campaign: { type: 'string' },
    confirm: { type: 'string' },
    reports: { type: 'string' },
    keep: { type: 'string' },
    workers: { type: 'string' },
    'no-html': { type: 'boolean' },
  },
};
