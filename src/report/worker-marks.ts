/**
 * What a `hil run` Jest worker holds, for the stop (./process-group.ts): while it runs a test
 * file, the worker keeps `<run>/workers/<pid>.json` saying whether that file's rig drives hardware.
 * Written before the test file loads (so before any rig opens), removed after its teardown (after
 * the rig closed). Only a mark that says "no hardware" lets hil kill the worker early: no mark
 * (between files, or a mark that could not be written) counts as hardware, so a bench rig always
 * gets its safe state.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WorkerMark {
  hardware: boolean;
  testPath: string;
}

export function markWorker(dir: string, mark: WorkerMark): void {
  writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(mark) + '\n');
}

export function unmarkWorker(dir: string): void {
  rmSync(join(dir, `${process.pid}.json`), { force: true });
}

/** Whether worker `pid` may hold hardware now: unless its mark says it does not. */
export function workerHoldsHardware(dir: string, pid: number): boolean {
  let text: string;
  try {
    text = readFileSync(join(dir, `${pid}.json`), 'utf8');
  } catch {
    return true;
  }
  try {
    return (JSON.parse(text) as Partial<WorkerMark>).hardware !== false;
  } catch {
    return true; // half-written: assume the worse
  }
}

/** The hint writePlan's runner leaves beside a test file: does its rig drive hardware? Unknown: yes. */
export function rigHintHardware(hintFile: string): boolean {
  try {
    return (JSON.parse(readFileSync(hintFile, 'utf8')) as { hardware?: unknown }).hardware !== false;
  } catch {
    return true;
  }
}
