import type { Redis } from 'ioredis';
import { ExitCode, UsageError } from '../../core/errors.js';
import { closest } from '../../config/did-you-mean.js';
import { operator, readAudit } from '../../lab/audit.js';
import { loadLab, type LabConfig } from '../../lab/config.js';
import { connectRedis, describeRedis } from '../../lab/connection.js';
import { enqueueHealth, resumeRig } from '../../lab/health.js';
import { healthQueueName } from '../../lab/queues.js';
import { NAME } from '../../lab/jobs.js';
import { rigsKey } from '../../lab/keys.js';
import { RigLeases } from '../../lab/lease.js';
import { formatAudit, formatStatus, labStatus, type RigStatus } from '../../lab/status.js';
import { numberOption, type Command, type CommandContext } from '../command.js';
import type { Output } from '../output.js';
import { labCheckHelp, labReleaseHelp, labResumeHelp, labStatusHelp } from './lab.help.js';

/** Audit lines under the status table: enough to see who released or resumed what lately. */
const AUDIT_LINES = 5;

async function withLab<T>(values: CommandContext['values'], body: (redis: Redis, lab: LabConfig) => Promise<T>): Promise<T> {
  const lab = loadLab(values.lab as string | undefined);
  const redis = await connectRedis(lab);
  try {
    return await body(redis, lab);
  } finally {
    redis.disconnect();
  }
}

/** The one positional RIG, a registered rig's name: a typo is an error naming the close one. */
async function registeredRig(redis: Redis, lab: LabConfig, positionals: string[], usage: string): Promise<string> {
  if (positionals.length !== 1) throw new UsageError(`expected one rig name, got ${positionals.length ? positionals.map((p) => JSON.stringify(p)).join(' ') : 'none'}\nusage: ${usage}`);
  const rig = positionals[0]!;
  if (!NAME.test(rig)) throw new UsageError(`rig ${JSON.stringify(rig)}: expected a rig name (letters, digits, . _ -; at most 64)`);
  const rigs = await redis.smembers(rigsKey(lab.redis.prefix));
  if (!rigs.includes(rig)) {
    const near = closest(rig, rigs);
    throw new UsageError(
      `rig ${rig} is not in the lab at ${describeRedis(lab)}: no worker ever registered it${near ? ` (did you mean ${near}?)` : rigs.length ? ` (rigs: ${rigs.sort().join(', ')})` : ''}`,
    );
  }
  return rig;
}

function terminalWidth(): number {
  return process.stdout.isTTY ? process.stdout.columns : Number(process.env.COLUMNS) || 120;
}

/** What --watch compares to tell a change: the rows without the times that move by themselves. */
function stateOf(rows: readonly RigStatus[]): string {
  return JSON.stringify(
    rows.map((r) => ({
      rig: r.rig,
      worker: r.worker?.id,
      host: r.worker?.host,
      lease: r.lease && `${r.lease.workerId}#${r.lease.token}`,
      queue: r.queue,
      health: { ...r.health, at: undefined },
      last: r.last?.jobId && `${r.last.jobId}:${r.last.outcome}`,
    })),
  );
}

async function snapshot(redis: Redis, lab: LabConfig) {
  const [rigs, audit] = await Promise.all([labStatus(redis, lab), readAudit(redis, lab, { count: AUDIT_LINES })]);
  return { at: Date.now(), redis: describeRedis(lab), rigs, audit };
}

function render(s: Awaited<ReturnType<typeof snapshot>>, width: number): string {
  const recent = formatAudit(s.audit, width - 2);
  return [formatStatus(s.rigs, width, s.at), ...(recent.length ? ['', 'recent:', ...recent.map((l) => `  ${l}`)] : [])].join('\n');
}

/** Sleeps `ms`, or less when the signal aborts (resolves either way). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

async function watch(redis: Redis, lab: LabConfig, out: Output, intervalMs: number, signal: AbortSignal): Promise<void> {
  const live = !!process.stdout.isTTY && !out.json && process.env.TERM !== 'dumb';
  let last = '';
  while (!signal.aborted) {
    const s = await snapshot(redis, lab);
    const state = stateOf(s.rigs) + JSON.stringify(s.audit.map((e) => e.id));
    if (live) {
      const head = `hil lab status: ${s.redis}, ${new Date(s.at).toISOString().slice(11, 19)} (every ${intervalMs} ms, Ctrl-C to stop)`;
      // Home and clear: the table is redrawn where it stood, not scrolled.
      process.stdout.write(`\x1b[H\x1b[2J${head.slice(0, terminalWidth())}\n${render(s, terminalWidth())}\n`);
    } else if (state !== last) {
      if (out.json) out.data(JSON.stringify(s));
      else out.data(`# ${new Date(s.at).toISOString()}\n${render(s, terminalWidth())}\n`);
    }
    last = state;
    await pause(intervalMs, signal);
  }
}

export const labStatusCommand: Command = {
  ...labStatusHelp,
  async run({ values, positionals, out, signal }) {
    if (positionals.length > 0) throw new UsageError(`hil lab status takes no rig names, got ${positionals.map((p) => JSON.stringify(p)).join(' ')}\nusage: ${this.usage}`);
    const intervalMs = numberOption(values, 'interval-ms', 2000, { integer: true, min: 100, max: 3_600_000 });
    if (values['interval-ms'] !== undefined && !values.watch) throw new UsageError(`--interval-ms only applies with --watch\nusage: ${this.usage}`);
    return withLab(values, async (redis, lab) => {
      if (values.watch) {
        await watch(redis, lab, out, intervalMs, signal);
        return ExitCode.ok;
      }
      const s = await snapshot(redis, lab);
      if (out.json) out.printJson(s);
      else out.data(render(s, terminalWidth()));
      return ExitCode.ok;
    });
  },
};

export const labReleaseCommand: Command = {
  ...labReleaseHelp,
  async run({ values, positionals, out }) {
    return withLab(values, async (redis, lab) => {
      const rig = await registeredRig(redis, lab, positionals, this.usage);
      const by = operator();
      // Audited by forceRelease itself (src/lab/lease.ts): one entry, with the holder it took the rig from.
      const freed = await new RigLeases(redis, lab).forceRelease(rig, by);
      if (out.json) out.printJson({ ok: true, rig, by, released: freed ?? null });
      else if (!freed) out.data(`${rig}: no lease held, nothing to release`);
      else {
        const h = freed.holder;
        out.data(`${rig}: released the lease of ${h.workerId} on ${h.host} (pid ${h.pid}${h.jobId ? `, job ${h.jobId}` : ''}, token ${freed.token}); logged as ${by}`);
      }
      return ExitCode.ok;
    });
  },
};

export const labResumeCommand: Command = {
  ...labResumeHelp,
  async run({ values, positionals, out }) {
    return withLab(values, async (redis, lab) => {
      const rig = await registeredRig(redis, lab, positionals, this.usage);
      const by = operator();
      const r = await resumeRig(redis, lab, rig, by);
      if (out.json) out.printJson({ ok: true, rig, by, wasPaused: r.wasPaused, healthBefore: r.health });
      else {
        const was = r.wasPaused ? `was paused${r.health.reason ? ` for: ${r.health.reason}` : ''}` : 'was not paused';
        out.data(`${rig}: queue resumed (${was}); health reset to unknown, its next check decides; logged as ${by}`);
      }
      return ExitCode.ok;
    });
  },
};

export const labCheckCommand: Command = {
  ...labCheckHelp,
  async run({ values, positionals, out }) {
    return withLab(values, async (redis, lab) => {
      const rig = await registeredRig(redis, lab, positionals, this.usage);
      const by = operator();
      const jobId = await enqueueHealth(lab, rig, `asked for by ${by}`, { by });
      if (out.json) out.printJson({ ok: true, rig, by, queue: healthQueueName(rig), jobId: jobId ?? null });
      else out.data(`${rig}: health check queued on ${healthQueueName(rig)} (job ${jobId}); hil lab status shows its result`);
      return ExitCode.ok;
    });
  },
};
