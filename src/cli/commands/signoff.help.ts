/**
 * What `hil signoff --help` shows and the options it parses, apart from the implementation
 * (./signoff.ts): `--help` and a bad option never load the sweep engine, a rig or a worker.
 */
import type { CommandHelp } from '../command.js';

export const signoffHelp: CommandHelp = {
  path: ['signoff'],
  summary: 'release sign-off: a matrix of rigs × update paths × cut modes, each cell a recovery rate with its Wilson bound, on one page',
  usage: 'hil signoff [SIGNOFF.yaml] [--reports DIR] [--workers N] [--no-allure] [--json]',
  details: `Runs the matrix a sign-off file names (default ./signoff.yaml): every rig (twin or bench) × every
update path of its scheme (images A -> B, setup) × every cut mode (every-op, random N, a time range).
Twin rigs run on the sweep engine; bench rigs (and twin rigs with run: replay) make each cut in full,
by time (range after, random with from/to) or progress. Per cell: cut points tried, outcomes counted,
the recovery rate and the lower bound of its Wilson score interval (two-sided, z = 1.96 at the
default 95 %). A cell passes iff that bound reaches the threshold (default: recovery >= 99 % at 95 %
confidence: at least 381 cuts, all recovered) and no cut ended bricked, wrong-image or (a product)
version-mismatch (one brick is never an acceptable rate). Rig errors are not device results: they are counted and listed apart, and
a cell they left too few device results to decide is incomplete, not passed.

Writes DIR/signoff/index.html (one self-contained page: verdict, matrix with rate and bound per cell,
the method, each cell's resilience map, images by sha256, hilrig version, date, rig inventory with
board serials), DIR/signoff/signoff.json (what --json prints) and an Allure result (the page, the
JSON and every map attached) into DIR/signoff/allure-results, and its Allure report
DIR/signoff/html/index.html. Progress goes to stderr; Ctrl-C stops the cell
in progress and writes what was done (exit 4).
Exit 0 iff every cell passed, 1 if any cell failed, 3 if none failed but rig errors left a cell
incomplete, 2 for a bad sign-off file (file:line:col: field: problem).

  SIGNOFF.yaml   the sign-off file (default signoff.yaml in the working directory)
  --reports DIR  reports folder (default reports)
  --workers N    sweep sessions: this thread + N-1 worker threads (default: the cores, at most 8;
                 0 = this thread alone)
  --no-allure    do not write the Allure result`,
  examples: [
    'hil signoff',
    'hil signoff release-2.1.yaml --reports out',
    'hil signoff --json | jq ".cells[] | {rig, path, mode, status, bound: .bound.lower}"',
    'hil signoff --json | jq -r ".cells[] | select(.status != \\"pass\\") | .reasons[]"',
  ],
  options: { reports: { type: 'string' }, workers: { type: 'string' }, 'no-allure': { type: 'boolean' } },
};
