/**
 * Sign-off cells as lab jobs. `hil enqueue signoff` reads the sign-off matrix (./signoff.yaml, as
 * `hil signoff` with no argument) and queues each applicable cell on its rig's queue, by name only
 * (sign-off name, cell id, rig). The worker finds the cell again in its own ./signoff.yaml and runs
 * it with the code of `hil signoff` (runSignoff over a plan of that one cell), so each job's
 * signoff.json is a one-cell sign-off that `hil report --lab` merges with the others and judges again.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { loadSignoff, type PlannedCell, type SignoffPlan } from '../signoff/load.js';
import { NAME } from './jobs.js';

/** The sign-off matrix a lab reads: the working directory's signoff.yaml. */
export function signoffMatrixFile(): string {
  const file = resolve('signoff.yaml');
  if (!existsSync(file)) throw new UsageError(`no signoff.yaml in ${process.cwd()}: the lab's sign-off matrix is the working directory's signoff.yaml (as hil signoff reads it)`);
  return file;
}

/** The sign-off's name as a job carries it (jobs name things, never paths): refused when it cannot be one. */
export function signoffJobName(plan: SignoffPlan): string {
  if (NAME.test(plan.name)) return plan.name;
  // The name is the file's `name:` or, without one, the file's base name.
  const lines = readFileSync(plan.file, 'utf8').split('\n');
  const at = lines.findIndex((l) => /^name\s*:/.test(l));
  const where = at >= 0 ? `${plan.file}:${at + 1}: name` : `${plan.file}: name (the file's base name, no name: given)`;
  throw new UsageError(`${where}: ${JSON.stringify(plan.name)} cannot travel in a lab job: letters, digits, '.', '_', '-' (at most 64, starting with a letter or digit)`);
}

/** The rig a cell runs on, as the lab registers it (its rig file's name; a twin override's `[variant]` tag off). */
export function cellRigName(cell: PlannedCell): string {
  return cell.rig.config.name.replace(/\[.*\]$/, '');
}

/** A plan of one cell: what one job runs; its report holds that cell, its rig and its images. */
export function planOfCell(plan: SignoffPlan, cellId: string): SignoffPlan {
  const cell = plan.cells.find((c) => c.id === cellId);
  if (!cell)
    throw new UsageError(`sign-off ${plan.name} (${plan.file}) has no cell ${cellId} (cells c1..c${plan.cells.length}): the worker's signoff.yaml differs from the one the job was queued from`);
  if (cell.notApplicable) throw new UsageError(`sign-off ${plan.name}: cell ${cellId} is not applicable: ${cell.notApplicable}`);
  return { ...plan, rigs: [cell.rig], cells: [cell] };
}

function same(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
}

/**
 * The worker's check before running a cell: its signoff.yaml is the sign-off the job names, the
 * cell exists there, and the cell's rig is this worker's own rig file (the one it holds the lease of).
 */
export async function findLabCell(name: string, cellId: string, rigFile: string, file = signoffMatrixFile()): Promise<{ file: string; plan: SignoffPlan }> {
  const plan = await loadSignoff(file);
  if (plan.name !== name) throw new UsageError(`sign-off ${name}: this worker's signoff.yaml (${file}) is sign-off ${plan.name}`);
  const one = planOfCell(plan, cellId);
  const cellRig = one.cells[0]!.rig.config.file;
  if (!same(cellRig, rigFile)) throw new UsageError(`sign-off ${name} cell ${cellId}: its rig is ${cellRig}, this worker's rig is ${rigFile}: not the rig the lease is for`);
  return { file, plan: one };
}
