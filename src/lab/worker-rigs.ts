/**
 * The rigs a worker serves: `--rigs GLOB` expanded and each file loaded (a bad file is an error
 * naming its file and line before anything connects), and where a job's suite and images come
 * from on this Pi: the worker's own suites/ (else the package's) and its image store.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { UsageError } from '../core/errors.js';
import { loadRig, loadSuite, type RigConfig } from '../config/index.js';
import { PACKAGE_ROOT } from '../report/campaign.js';
import type { LabConfig } from './config.js';
import { imagePath } from './image-store.js';
import type { JobImages } from './jobs.js';

/** `*` and `?` within one path segment; a pattern of names (hil enqueue) or of files (hil worker). */
export function globRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/** Files matching GLOB; wildcards only in the last segment (rigs/lab/*.yaml), or a plain file. */
export function expandRigGlob(glob: string): string[] {
  const abs = resolve(glob);
  const dir = dirname(abs);
  const pattern = basename(abs);
  if (/[*?]/.test(dir)) throw new UsageError(`--rigs ${glob}: wildcards only in the file name (e.g. 'rigs/lab/*.yaml')`);
  if (!/[*?]/.test(pattern)) {
    if (!existsSync(abs)) throw new UsageError(`--rigs ${glob}: no such rig file`);
    return [abs];
  }
  if (!existsSync(dir)) throw new UsageError(`--rigs ${glob}: no folder ${dir}`);
  const re = globRegExp(pattern);
  const files = readdirSync(dir)
    .filter((f) => re.test(f))
    .sort()
    .map((f) => join(dir, f));
  if (!files.length) throw new UsageError(`--rigs ${glob}: matches no rig file`);
  return files;
}

/** `--rigs`: one glob, or several separated by commas ('rigs/lab/lab-sfu-*.yaml,rigs/lab/lab-stm32-01.yaml'). */
export async function loadWorkerRigs(glob: string): Promise<RigConfig[]> {
  const rigs: RigConfig[] = [];
  const files = [...new Set(glob.split(',').filter(Boolean).flatMap(expandRigGlob))];
  for (const file of files) rigs.push(await loadRig(file));
  const seen = new Map<string, string>();
  for (const r of rigs) {
    const other = seen.get(r.name);
    if (other) throw new UsageError(`--rigs ${glob}: rig name ${r.name} is used by both ${other} and ${r.file}: a rig's queue and lease are by name`);
    seen.set(r.name, r.file);
  }
  return rigs;
}

/** suites/NAME.yaml here, else in the hilrig package: a job names a suite, never a path. */
export function suiteFileOf(name: string): string {
  for (const dir of [resolve('suites'), join(PACKAGE_ROOT, 'suites')]) {
    for (const ext of ['.yaml', '.yml']) {
      const f = join(dir, name + ext);
      if (existsSync(f)) return f;
    }
  }
  throw new UsageError(`suite ${name}: no suites/${name}.yaml on this worker (${resolve('suites')})`);
}

/** campaigns/NAME.yaml here, else in the package. */
export function campaignFileOf(name: string): string | undefined {
  return [resolve('campaigns', `${name}.yaml`), join(PACKAGE_ROOT, 'campaigns', `${name}.yaml`)].find((f) => existsSync(f));
}

/**
 * The suite with its images replaced by the store's files for the job's sha256s: a copy in the
 * job's folder (same base name, so the tests keep their names), the rest of the suite as written.
 */
export async function suiteWithImages(lab: LabConfig, suiteFile: string, images: JobImages, dir: string): Promise<string> {
  const suite = await loadSuite(suiteFile);
  const doc = parseDocument(readFileSync(suiteFile, 'utf8'));
  doc.setIn(['images', 'from'], imagePath(lab, images.from));
  doc.setIn(['images', 'to'], imagePath(lab, images.to));
  if (images.via)
    doc.setIn(
      ['images', 'via'],
      images.via.map((s) => imagePath(lab, s)),
    );
  else if (suite.images.via) doc.setIn(['images', 'via'], suite.images.via);
  if (suite.images.previous) doc.setIn(['images', 'previous'], suite.images.previous);
  // The suite's own rigs are named relative to its folder; the job runs on --rig, so they go.
  doc.delete('rigs');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, basename(suiteFile));
  writeFileSync(out, doc.toString());
  return out;
}
