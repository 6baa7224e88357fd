/**
 * What `hil repro --help` shows and the options it parses, apart from the implementation
 * (./repro.ts): `--help` and a bad option never load a rig, the twin or the sweep engine.
 */
import type { CommandHelp } from '../command.js';

export const reproHelp: CommandHelp = {
  path: ['repro'],
  summary: 'replay a recorded result (an Allure result file or its repro id) and check it gives the same outcome',
  usage: 'hil repro RESULT.json|REPRO_ID [--times N] [--results DIR] [--images DIR] [--json]',
  details: `Every cut and failing sweep point in a report records what made it (repro.json: the rig, both
images by sha256, the trigger or the sweep point, off time, seed, the twin's variant, power-loss
mode and time factor, the outcomes expected and the one seen). hil repro reads that record from a
result file (reports/allure-results/UUID-result.json), or finds it by the 8-hex repro id a failure
line prints (hil sweep stores its failing points' records as reports/repro/ID.json, hil run's
travel in the Allure results), replays it (a cut exactly as hil cut makes it, on the same rig; a sweep point through
the sweep engine) and prints the expected and seen outcomes, whether the recorded outcome came
back, and the last console lines. Images are found by content: the recorded file while its sha256
matches, else a file with that sha256 under firmware/, the suite's folder or --images DIR.
Exit 0 if every replay gave the recorded outcome, 1 if one differed, 2 for a record or image that
cannot be found, 3 if the rig failed.

  --times N          replay N times and print how many gave the recorded outcome (default 1)
  --results DIR      where to look up a repro id not in reports/repro/ (default: reports/allure-results)
  --images DIR       one more folder to look for an image by sha256 (repeatable)`,
  examples: ['hil repro reports/allure-results/0b6c3d1e-5f2a-4c1b-9e7d-2a8f4b6c1d3e-result.json', 'hil repro 084c19cc --times 10', 'hil repro 084c19cc --results nightly/allure-results --json'],
  options: {
    times: { type: 'string' },
    results: { type: 'string' },
    images: { type: 'string', multiple: true },
  },
};
