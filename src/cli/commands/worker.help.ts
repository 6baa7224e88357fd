/**
 * What `hil worker --help` and `hil enqueue --help` show, and the hidden `hil __lab-job` the worker
 * runs each suite job through; apart from the implementations (BullMQ, ioredis stay unloaded).
 */
import type { CommandHelp } from '../command.js';

export const workerHelp: CommandHelp = {
  path: ['worker'],
  summary: 'serve rigs to the lab: run the jobs of their Redis queues, one at a time per rig, under an expiring lease',
  usage: 'hil worker --rigs GLOB [--lab FILE] [--id ID] [--reports DIR] [--json]',
  details: `Runs on each Pi next to its rigs. Loads the rigs GLOB matches (errors name file:line before
anything connects), takes a file lock per rig on this host and claims each rig in Redis (a rig
another live worker owns: exit 3, naming its host and pid), then consumes one queue per rig
(rig.NAME, one job at a time) and one health queue per rig (health.NAME).
Each job runs under a rig lease with a fencing token: the lease is renewed while the job runs,
and every power, pin and probe action of the suite checks it (hil run's Jest gets the fence
file through $HIL_LAB_FENCE); a lease that lapses stops the job before its next action and
puts the rig in its safe state. A suite job runs exactly as \`hil run SUITE --rig RIG\` does; a
sign-off cell job (\`hil enqueue signoff\`) runs that one cell of this directory's signoff.yaml
exactly as \`hil signoff\` does, on this worker's rig, fenced the same way. Results go to the
lab's results stream (\`hil report --lab\` merges them, the sign-off's cells into one page). A job a dead worker
left half done is not blindly re-run: it is reported interrupted, the rig is made safe and
health-checked, then the job runs again as a new attempt. Ctrl-C / SIGTERM: stop taking jobs,
interrupt the running ones (rigs safe), release leases, claims and locks, exit 0.
Lab connection: lab.yaml (--lab FILE, else $HIL_LAB, else ./lab.yaml): Redis host, port, TLS,
password from a variable or a file, lease timing, state directory, image store.

  --rigs GLOB        rig files to serve, e.g. 'rigs/lab/*.yaml' (quote it: hil expands it);
                     several globs separated by commas
  --lab FILE         the lab's connection file (default: $HIL_LAB, else ./lab.yaml)
  --id ID            this worker's name in leases and status (default: HOST-PID)
  --reports DIR      where jobs' runs are written before they are sent (default: reports/lab)`,
  examples: ["hil worker --rigs 'rigs/lab/*.yaml'", "HIL_LAB=/etc/hil/lab.yaml hil worker --rigs 'rigs/pi-*.yaml' --id pi-07", 'hil worker --rigs rigs/lab/sfu-01.yaml --lab lab.yaml --json'],
  holds: true,
  options: {
    rigs: { type: 'string' },
    lab: { type: 'string' },
    id: { type: 'string' },
    reports: { type: 'string' },
  },
};

export const enqueueHelp: CommandHelp = {
  path: ['enqueue'],
  summary: "queue suites on the lab's rigs: a nightly, a sign-off or one suite, once or on a schedule",
  usage: 'hil enqueue (nightly|signoff|SUITE) --rigs GLOB [--priority N] [--from SHA --to SHA] [--every CRON] [--lab FILE] [--json]',
  details: `Queues one job per (suite, rig) on each rig's queue. The rigs are those the lab's workers
registered whose name matches GLOB; a suite goes to a rig of its scheme (the checks of hil run;
the worker checks again with the rig's own file). nightly is campaigns/nightly.yaml's suites,
SUITE a suites/SUITE.yaml name. signoff is the sign-off matrix of ./signoff.yaml (what
\`hil signoff\` runs with no argument): one job per applicable cell whose rig is registered and
matches GLOB, run on that rig by its worker as \`hil signoff\` runs it (the worker finds the cell
in its own signoff.yaml, checked to be the same sign-off and the same rig file);
\`hil report --lab\` merges the cells into one sign-off page and judges the verdict over all of
them (a cell whose rig is not in the lab is listed as skipped, and absent from the page).
Jobs carry names only (suite, sign-off, cell, rig, campaign) and images by sha256 from the
workers' image store (lab.yaml store.images): never a path or a YAML body.
Prints what it queued and the run id that \`hil report --lab --run RUNID\` takes.

  --rigs GLOB        registered rig names, e.g. 'lab-sfu-*' or '*' (quote it)
  --priority N       BullMQ priority: 1 is served first (default: none, first in first out)
  --from SHA         image A by sha256 (with --to): replaces the suite's images on every job
                     (not with signoff: a sign-off's paths name their images)
  --to SHA           image B by sha256
  --every CRON       install a schedule instead of queuing once: a cron pattern ('0 2 * * *')
                     or milliseconds ('3600000'); the same name and rigs replace the old one
  --lab FILE         the lab's connection file (default: $HIL_LAB, else ./lab.yaml)`,
  examples: [
    "hil enqueue nightly --rigs '*'",
    "hil enqueue brownout-sfu --rigs 'lab-sfu-*' --priority 1",
    "hil enqueue nightly --rigs '*' --every '0 2 * * *'",
    "hil enqueue signoff --rigs 'lab-*'   # ./signoff.yaml's cells on the lab's rigs",
    'hil enqueue brownout-sfu --rigs lab-sfu-01 --from 3f1c…(64 hex) --to 9ab2…(64 hex)',
  ],
  options: {
    rigs: { type: 'string' },
    priority: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    every: { type: 'string' },
    lab: { type: 'string' },
  },
};

export const labJobHelp: CommandHelp = {
  path: ['__lab-job'],
  summary: "one lab job, a suite as hil run runs it or a sign-off cell as hil signoff does (hil worker's child; fenced by $HIL_LAB_FENCE)",
  usage: 'hil __lab-job (--suite FILE --campaign NAME | --signoff FILE --signoff-name NAME --cell ID) --rig FILE --reports DIR --json',
  details: `Runs SUITE on RIG like \`hil run SUITE --rig RIG\`, with NAME as the campaign label and no
HTML; or cell ID of the sign-off FILE (which must be sign-off NAME, and the cell's rig RIG) like
\`hil signoff\`, into DIR/signoff/. hil worker starts it per job with the fence file in
$HIL_LAB_FENCE and an IPC channel: when the worker dies, the channel closes and the run is
interrupted (rig safe).`,
  examples: [
    'hil __lab-job --suite suites/brownout-sfu.yaml --rig rigs/lab/lab-sfu-01.yaml --campaign nightly --reports /tmp/j --json',
    'hil __lab-job --signoff signoff.yaml --signoff-name release-2.0.0 --cell c2 --rig rigs/lab/lab-sfu-01.yaml --reports /tmp/j --json',
  ],
  options: {
    suite: { type: 'string' },
    signoff: { type: 'string' },
    'signoff-name': { type: 'string' },
    cell: { type: 'string' },
    rig: { type: 'string' },
    campaign: { type: 'string' },
    reports: { type: 'string' },
  },
};
