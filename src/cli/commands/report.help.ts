/**
 * What `hil report --help` shows and the options it parses, apart from the implementation
 * (./report.ts): `--help` and a bad option never load ioredis or Allure.
 */
import type { CommandHelp } from '../command.js';

export const reportHelp: CommandHelp = {
  path: ['report'],
  summary: "a lab's results, home: drain every job's results from Redis and merge them into one Allure report with history per rig",
  usage: 'hil report --lab [FILE] [--reports DIR] [--run RUNID] [--keep-in-redis] [--no-html] [--json]',
  details: `Drains the lab's results stream (the lab file: FILE, else $HIL_LAB, else ./lab.yaml) into
DIR/lab/runs/<run>/jobs/<rig>--<job>--a<attempt>/ (each job's Allure results, records, and a sign-off's
page data), deleting each entry from Redis once it is on disk, then merges each run that got new jobs
into one Allure report, DIR/lab/runs/<run>/html/index.html (one file, opens from file://): every job's
results side by side, each labelled with its job, attempt and host; a job that was interrupted (its
worker died or lost the rig's lease) or ended with no results of its own is one broken result, named
by what happened. History follows each rig's board: hilrig's per-board history and what-changed
(DIR/history/CAMPAIGN.json, as \`hil run\` keeps it) and Allure's history and trends. A run whose jobs
ran a sign-off also gets its sign-off page, DIR/lab/runs/<run>/signoff/index.html, its cells from
every job. Building a run's report again (more of its jobs arrived) replaces its point in the
history, never adds a second one. With no new results, the latest run's report is built again.

  --lab [FILE]     required: the lab's results (a local run's report is \`hil run\`'s); FILE is the
                   lab file (Redis connection, prefix), as \`hil worker --lab FILE\` takes it
  --reports DIR    reports folder (default reports)
  --run RUNID      only this run's jobs (the others stay in Redis); its report is built
  --keep-in-redis  copy, do not drain (another reader will see the same results)
  --no-html        drain and merge, do not run allure generate`,
  examples: ['hil report --lab', 'hil report --lab /etc/hil/lab.yaml --reports /srv/hil/reports', 'hil report --lab --run nightly-20261206 --json | jq .jobs'],
  options: {
    lab: { type: 'boolean' },
    reports: { type: 'string' },
    run: { type: 'string' },
    'keep-in-redis': { type: 'boolean' },
    'no-html': { type: 'boolean' },
  },
};
