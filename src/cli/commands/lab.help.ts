/**
 * What `hil lab status|release|resume --help` show and the options they parse, apart from the
 * implementation (./lab.ts): `--help` and a bad option never load BullMQ or ioredis.
 */
import type { CommandHelp } from '../command.js';

const LAB_OPTION = `  --lab FILE         the lab's lab.yaml (Redis connection, prefix); default $HIL_LAB, else ./lab.yaml`;

export const labStatusHelp: CommandHelp = {
  path: ['lab', 'status'],
  summary: 'the lab at a glance: each rig, its worker and host, lease holder and expiry, queue depth, health, last result',
  usage: 'hil lab status [--json] [--watch [--interval-ms N]] [--lab FILE]',
  details: `Reads the lab's Redis (no worker is asked, so a dead Pi shows as a rig without a worker) and prints
one line per registered rig: the worker that owns it (id@host), who holds its lease (worker, fencing
token, time left), its queue (waiting/active/delayed, and whether it is paused), its health (ok,
paused with the failed check's reason and the passes so far, unknown) and its last job's result; then
the newest entries of the lab's audit log (releases, resumes, pauses). The table fits the terminal:
long text is cut with …; --json has all of it. With --watch it refreshes until Ctrl-C: redrawn in
place on a terminal, elsewhere printed again only when something changed (with --json: one JSON
line per change). Exit 0, or 2 when the lab's Redis cannot be reached.

${LAB_OPTION}
  --watch            keep refreshing until Ctrl-C
  --interval-ms N    how often --watch reads Redis (default 2000)`,
  examples: ['hil lab status', 'hil lab status --watch', 'hil lab status --json | jq ".rigs[] | select(.queue.paused)"', 'hil lab status --lab /etc/hil/lab.yaml --watch --interval-ms 5000'],
  options: { lab: { type: 'string' }, watch: { type: 'boolean' }, 'interval-ms': { type: 'string' } },
  // Ctrl-C is how --watch ends: exit 0, not 4; no rig to make safe.
  holds: true,
  rigless: true,
};

export const labReleaseHelp: CommandHelp = {
  path: ['lab', 'release'],
  summary: "free a rig's lease by hand (a stuck job, a dead Pi), logged with who and where",
  usage: 'hil lab release RIG [--json] [--lab FILE]',
  details: `Deletes the rig's lease whoever holds it and writes who did it (user@host) to the lab's audit log.
Leases expire on their own (lease.ttlMs after their holder stops renewing); this is for not waiting.
The holder, if it still runs, is refused at its next renewal and its fence stops it before its next
power, pin or probe action; the next job gets a larger fencing token. Exit 0 (also when the rig held
no lease: nothing to free), 2 for a rig no worker ever registered.

${LAB_OPTION}`,
  examples: ['hil lab release twin-lab-03', 'hil lab release pi-pico-sfu --json'],
  options: { lab: { type: 'string' } },
};

export const labResumeHelp: CommandHelp = {
  path: ['lab', 'resume'],
  summary: 'put a paused rig back in rotation by hand (its queue runs again), logged with who and where',
  usage: 'hil lab resume RIG [--json] [--lab FILE]',
  details: `Resumes the rig's queue (paused by a failed health check) and starts its health over as unknown,
so its next health check decides; writes who did it (user@host) and why the rig was paused to the
lab's audit log. Without this a paused rig comes back by itself after lab.yaml health.passesToResume
passing checks in a row. Exit 0, 2 for a rig no worker ever registered.

${LAB_OPTION}`,
  examples: ['hil lab resume twin-lab-03', 'hil lab resume pi-stm32f429-disco --lab /etc/hil/lab.yaml'],
  options: { lab: { type: 'string' } },
};

export const labCheckHelp: CommandHelp = {
  path: ['lab', 'check'],
  summary: 'queue a health check of a rig now (after fixing a cable, say), instead of waiting for its schedule',
  usage: 'hil lab check RIG [--json] [--lab FILE]',
  details: `Puts one health check on the rig's health queue; the worker that owns the rig runs it next (the
health queue is never paused): safe state, the known-good image through the probe, a power-cycle, the
banner within the boot timeout, a probe read. Its result counts like a scheduled check's: a failure
pauses the rig's queue, lab.yaml health.passesToResume passes in a row resume it. At most one check
per rig is queued or running at a time: asking again meanwhile answers with that check's job id.
Exit 0, 2 for a rig no worker ever registered.

${LAB_OPTION}`,
  examples: ['hil lab check twin-lab-03', 'hil lab check pi-pico-sfu --json'],
  options: { lab: { type: 'string' } },
};
