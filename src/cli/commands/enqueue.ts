import { UsageError } from '../../core/errors.js';
import { operator } from '../../lab/audit.js';
import { loadLab } from '../../lab/config.js';
import { connectRedis } from '../../lab/connection.js';
import { enqueue } from '../../lab/enqueue.js';
import { SHA256 } from '../../lab/jobs.js';
import { numberOption, requireOption, type Command } from '../command.js';
import { enqueueHelp } from './worker.help.js';

function sha(values: Record<string, unknown>, name: string): string {
  const v = requireOption(values, name, enqueueHelp).toLowerCase();
  if (!SHA256.test(v)) throw new UsageError(`--${name} ${v}: expected a sha256 (64 hex digits) of an image in the workers' image store`);
  return v;
}

export const enqueueCommand: Command = {
  ...enqueueHelp,
  async run({ values, positionals, out }) {
    if (positionals.length !== 1) throw new UsageError(`expected one of nightly, signoff or a suite name\nusage: ${enqueueHelp.usage}`);
    const what = positionals[0]!;
    const rigsGlob = requireOption(values, 'rigs', enqueueHelp);
    const priority = values.priority !== undefined ? numberOption(values, 'priority', 0, { integer: true, min: 1, max: 2_097_152 }) : undefined;
    if ((values.from === undefined) !== (values.to === undefined)) throw new UsageError('--from and --to go together: both images, by sha256');
    const images = values.from !== undefined ? { from: sha(values, 'from'), to: sha(values, 'to') } : undefined;
    const lab = loadLab(values.lab as string | undefined);
    const redis = await connectRedis(lab, 'client');
    try {
      const r = await enqueue(redis, lab, {
        what,
        rigsGlob,
        by: operator(),
        ...(priority !== undefined && { priority }),
        ...(images && { images }),
        ...(values.every !== undefined && { every: values.every as string }),
      });
      if (out.json) out.printJson(r);
      else {
        for (const q of r.queued) out.data(`${r.scheduled ? 'scheduled' : 'queued'} ${q.cell ? `sign-off ${q.suite} cell ${q.cell}` : q.suite} on ${q.rig}: ${q.id}`);
        for (const s of r.skipped) out.info(`skipped ${s.suite ?? ''} on ${s.rig}: ${s.reason}`);
        out.info(`${r.queued.length} job(s) ${r.scheduled ? `scheduled (${values.every as string})` : 'queued'}, run ${r.runId}${r.scheduled ? '' : `: hil report --lab --run ${r.runId}`}`);
      }
      return r.queued.length ? 0 : 2;
    } finally {
      await redis.quit().catch(() => undefined);
    }
  },
};
