/**
 * What `hil detect --help` shows and the options it parses, apart from the
 * implementation (./detect.ts): `--help` and a bad option never load it.
 */
import type { CommandHelp } from '../command.js';
import { SCHEME_NAMES as SCHEMES } from '../../schemes/meta-registry.js';

const LAST_SCHEME = SCHEMES[SCHEMES.length - 1]!;

export const detectHelp: CommandHelp = {
  path: ['detect'],
  summary: 'cut at every op state of every scheme and bootloader variant on the twin: is every seeded bug caught?',
  usage: 'hil detect [--scheme S | --all] [--workers N] [SUITE...] [--json]',
  details: `Takes the rig entries of the detection suites (suites/detect-*.yaml: twin rigs with the correct
bootloader and every seeded-bug variant of one scheme, the images, setup and safe outcomes) and sweeps
each one exhaustively on the op sweep engine: every flash op of the update and of the bootloader's
work after the reset, before it, after it and torn once at a seeded fraction; then every op whose
before and after points end differently (a decision op: a commit word, a trailer flag, a signature)
torn again at each of its write units (each erase at five fractions); plus the state after the update
once the host saw it done. The suites' second-cut points are replayed in full (double cuts are not
swept yet). Prints one row per scheme and variant: op states tried, how many catch it (the window),
the outcomes, whether it was caught; -v prints each seeded bug's first catching point and the command
that replays it (a correct bootloader failing is always printed so). Exit 0 iff every buggy variant
is caught and no correct one fails.

The default set is suites/detect-*.yaml (about 25 s on two cores). Detection suites in subfolders
(suites/product/: the two-processor product's, about 20 s more on two cores: each point recovers
the rest of a two-processor update) run with --all or --scheme of their scheme; the default run names them.

  --scheme S    only this scheme (${SCHEMES.join(', ')}), its suites in subfolders included
  --all         every detection suite, subfolders included
  --workers N   worker threads (default: the cores, at most 8; 0 runs in this thread)
  SUITE...      detection suites to run instead of suites/detect-*.yaml`,
  examples: [
    'hil detect',
    `hil detect --scheme ${LAST_SCHEME}`,
    'hil detect --all --workers 2',
    'hil detect --json | jq ".[] | select(.caught != .buggy)"',
    'hil detect --json | jq ".[] | {variant, windowPercent}"',
  ],
  options: { scheme: { type: 'string' }, all: { type: 'boolean' }, workers: { type: 'string' } },
};
