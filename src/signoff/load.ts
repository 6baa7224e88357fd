/**
 * A sign-off file -> a checked plan: every rig loaded (twin overrides applied), every update path's
 * images read as each of its rigs' scheme, and the matrix of cells (rig × path × cut mode), each
 * either runnable or marked not applicable with the reason. Every problem is reported at once, at
 * the file, line, column and field that holds it (a ConfigFileError: exit code 2), before any rig
 * is touched.
 */
import path from 'node:path';
import {
  ConfigFileError,
  DEFAULT_VARIANTS,
  SCHEME_SETUPS,
  displayFile,
  formatSize,
  loadRig,
  withTwinOverrides,
  type ConfigIssue,
  type ConfigPath,
  type RigConfig,
  type TwinOverrides,
} from '../config/index.js';
import { readYamlMapping, validate } from '../config/document.js';
import { FileRefusal, readRegularFile, readRegularFileSync } from '../config/file-read.js';
import { ImageProblem, readImage } from '../config/image-readers.js';
import { MAX_CONFIG_BYTES, MAX_IMAGE_BYTES } from '../config/limits.js';
import { rememberSource, type SourceLocator } from '../config/locate.js';
import { signoffCrossIssues, signoffSchema, type SignoffCutMode, type SignoffFields } from '../config/signoff-schema.js';
import { decodeConfigText } from '../config/text.js';
import { pointsNeeded, zFor } from './wilson.js';

/** How a rig's cells run: the twin's sweep engine, or every cut replayed in full (runCut). */
export type Runner = 'sweep' | 'replay';

export interface PlannedRig {
  index: number;
  /** As written in the file. */
  ref: string;
  /** The rig as it runs (twin overrides applied: its name says so). */
  config: RigConfig;
  overrides?: TwinOverrides;
  runner: Runner;
  kind: 'twin' | 'bench';
}

export interface PlannedPath {
  index: number;
  name: string;
  scheme?: string;
  from: string;
  to: string;
  previous?: string;
  setup?: string;
}

export interface PlannedMode {
  index: number;
  mode: SignoffCutMode;
  /** How the page names it: `every-op`, `random 400 ops (seed 7)`, `range after 0..4000 ms step 10`. */
  label: string;
}

export interface PlannedCell {
  /** `c1`, `c2` …: the page's anchors and the map files' names. */
  id: string;
  rig: PlannedRig;
  path: PlannedPath;
  mode: PlannedMode;
  /** Why this mode cannot run on this rig's runner; absent: it runs. */
  notApplicable?: string;
  /** Points the mode gives, when known before the run (random, range); every-op's come from the op log. */
  plannedPoints?: number;
  seed: number;
  offMs: number;
  setup: string;
}

export interface SignoffPlan {
  file: string;
  name: string;
  description?: string;
  threshold: { recovery: number; confidence: number; z: number; pointsNeeded: number };
  expect: SignoffFields['expect'];
  rigs: PlannedRig[];
  paths: PlannedPath[];
  modes: PlannedMode[];
  cells: PlannedCell[];
}

function basename(file: string): string {
  return path.basename(file).replace(/\.ya?ml$/, '');
}

async function readText(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(file, MAX_CONFIG_BYTES);
  } catch (error) {
    if (!(error instanceof FileRefusal)) throw error;
    const hint = /more than|grew past/.test(error.reason) ? ` (sign-off files are a few KiB, the limit is ${formatSize(MAX_CONFIG_BYTES)})` : '';
    throw new ConfigFileError([{ file, path: '', message: `cannot read: ${error.reason}${hint}` }]);
  }
  const decoded = decodeConfigText(bytes, 'a sign-off file');
  if (!decoded.ok) throw new ConfigFileError([{ file, line: decoded.line, col: decoded.col, path: '', message: decoded.message }]);
  return decoded.text;
}

/** Where a rig reference points: a name -> `<file's folder>/rigs/NAME.yaml`, a .yaml path -> relative to the file. */
export function signoffRigPath(signoffFile: string, ref: string): string {
  const dir = path.dirname(signoffFile);
  return /\.ya?ml$/.test(ref) ? path.resolve(dir, ref) : path.join(dir, 'rigs', `${ref}.yaml`);
}

/** The page's name of a cut mode. */
export function modeLabel(mode: SignoffCutMode): string {
  if (mode.name) return mode.name;
  const seed = mode.seed !== undefined ? ` (seed ${mode.seed})` : '';
  const cuts = 'cut' in mode && mode.cut ? ` ${mode.cut.join('/')}` : '';
  switch (mode.mode) {
    case 'every-op':
      return `every-op${cuts}${mode.torn && mode.torn > 1 ? `, torn ×${mode.torn}` : ''}${seed}`;
    case 'random':
      return mode.window ? `random ${mode.count} times ${mode.window.fromMs}..${mode.window.toMs} ms${seed}` : `random ${mode.count} ops${cuts}${seed}`;
    case 'range': {
      const unit = mode.trigger === 'after' ? ' ms' : mode.trigger === 'progress' ? ' %' : '';
      return `range ${mode.trigger} ${mode.from}..${mode.to}${unit} step ${mode.step}${seed}`;
    }
  }
}

/** Points a mode gives when that is known before the run. */
function plannedPoints(mode: SignoffCutMode): number | undefined {
  if (mode.mode === 'random') return mode.count;
  if (mode.mode === 'range') return Math.floor((mode.to - mode.from) / mode.step + 1e-9) + 1;
  return undefined;
}

/** Why a mode cannot run on a rig with this runner, or undefined. */
function notApplicable(mode: SignoffCutMode, rig: PlannedRig): string | undefined {
  if (rig.runner === 'sweep') return undefined;
  const why = rig.kind === 'bench' ? 'a bench rig' : 'a replay rig';
  if (mode.mode === 'every-op') return `every-op needs the twin's op log; ${why} cuts by time (range after, random with from/to)`;
  if (mode.mode === 'random' && !mode.window) return `random ops need the twin's op log; ${why} takes random times (from/to)`;
  if (mode.mode === 'range' && mode.trigger === 'marker' && rig.kind === 'bench' && !rig.config.marker) return `range marker needs a marker input, and rig ${rig.config.name} has no marker: section`;
  return undefined;
}

interface ImageFacts {
  version?: string;
}

/** The problems of a path's images read as `scheme` (the scheme of rig `rigName`), at paths[i].KEY. */
function pathImageIssues(locator: SourceLocator, p: PlannedPath, scheme: string, rigName: string, cache: Map<string, Buffer | string>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const versions: Partial<Record<string, string>> = {};
  for (const key of ['from', 'to', 'previous'] as const) {
    const file = p[key];
    if (file === undefined) continue;
    const at = (message: string) => issues.push(locator.issue(['paths', p.index, key], `image ${displayFile(file)} ${message}`));
    let bytes = cache.get(file);
    if (bytes === undefined) {
      try {
        bytes = readRegularFileSync(file, MAX_IMAGE_BYTES);
        if (bytes.length === 0) bytes = 'is empty';
      } catch (error) {
        if (!(error instanceof FileRefusal)) throw error;
        bytes = error.reason === 'no such file' ? 'not found' : error.reason;
      }
      cache.set(file, bytes);
    }
    if (typeof bytes === 'string') {
      at(bytes);
      continue;
    }
    let facts: ImageFacts;
    try {
      facts = readImage(scheme, bytes);
    } catch (error) {
      if (!(error instanceof ImageProblem)) throw error;
      at(`${error.message.replace(/^image /, '')} (read as ${scheme}, the scheme of rig ${rigName})`);
      continue;
    }
    if (facts.version === undefined) at(`carries no app info block, so its banner cannot be recognised (read as ${scheme}, the scheme of rig ${rigName})`);
    else versions[key] = facts.version;
  }
  if (versions.from !== undefined && versions.from === versions.to) {
    issues.push(locator.issue(['paths', p.index, 'to'], `has the same version ${versions.from} as from: an update could not be told from a rollback`));
  }
  return issues;
}

/** A rig entry's rig, loaded; a missing or unreadable file is reported at the entry. */
async function loadEntryRig(locator: SourceLocator, file: string, index: number, issues: ConfigIssue[]): Promise<RigConfig | undefined> {
  try {
    return await loadRig(file);
  } catch (error) {
    if (!(error instanceof ConfigFileError)) throw error;
    const first = error.issues[0];
    if (first && first.line === undefined) {
      issues.push(locator.issue(['rigs', index], `rig ${displayFile(file)}: ${first.message}`));
      return undefined;
    }
    // The rig file itself has problems: its own lines say where.
    issues.push(...error.issues);
    return undefined;
  }
}

/** Reads, validates and plans a sign-off file. */
export async function loadSignoff(file: string): Promise<SignoffPlan> {
  const absolute = path.resolve(file);
  return parseSignoff(await readText(absolute), absolute);
}

/** Validates and plans a sign-off file's text; rigs and images are read from disk. */
export async function parseSignoff(text: string, file: string): Promise<SignoffPlan> {
  const absolute = path.resolve(file);
  const read = readYamlMapping(text, absolute, 'a sign-off');
  if (!read.ok) throw new ConfigFileError(read.issues);
  const result = validate(signoffSchema, read.data, read.locator);
  const cross = signoffCrossIssues(read.data).map((i) => read.locator.issue(i.path, i.message));
  if (!result.ok || cross.length > 0) throw new ConfigFileError([...(result.ok ? [] : result.issues), ...cross], result.ok ? 0 : result.more);
  const fields = result.value;
  const locator = read.locator;
  const dir = path.dirname(absolute);
  const issues: ConfigIssue[] = [];
  const at = (p: ConfigPath, message: string) => issues.push(locator.issue(p, message));

  const rigs: PlannedRig[] = [];
  for (const [index, entry] of fields.rigs.entries()) {
    const rigFile = signoffRigPath(absolute, entry.rig);
    const loaded = await loadEntryRig(locator, rigFile, index, issues);
    if (!loaded) continue;
    const overrides: TwinOverrides = { ...(entry.variant !== undefined && { variant: entry.variant }), ...(entry.powerLoss !== undefined && { powerLoss: entry.powerLoss }) };
    if (!loaded.twin && Object.keys(overrides).length > 0) {
      at(['rigs', index, entry.variant !== undefined ? 'variant' : 'powerLoss'], `variant and powerLoss only apply to twin rigs, and ${loaded.name} (${displayFile(loaded.file)}) is not one`);
      continue;
    }
    const known = DEFAULT_VARIANTS[loaded.scheme];
    if (entry.variant !== undefined && known && !known.includes(entry.variant)) {
      at(['rigs', index, 'variant'], `variant ${JSON.stringify(entry.variant)} does not exist for ${loaded.scheme} (variants: ${known.join(', ')})`);
      continue;
    }
    if (entry.run === 'sweep' && !loaded.twin) {
      at(['rigs', index, 'run'], `rig ${loaded.name} is a bench rig (no twin: section): its cuts are made one by one (run: replay), the sweep engine needs the twin`);
      continue;
    }
    const config = withTwinOverrides(loaded, Object.keys(overrides).length ? overrides : undefined, absolute);
    rigs.push({
      index,
      ref: entry.rig,
      config,
      ...(Object.keys(overrides).length > 0 && { overrides }),
      runner: entry.run ?? (loaded.twin ? 'sweep' : 'replay'),
      kind: loaded.twin ? 'twin' : 'bench',
    });
  }
  // Two entries naming the same rig with the same overrides would be one rig twice in the inventory.
  const seenRig = new Map<string, number>();
  for (const r of rigs) {
    const key = `${r.config.name}/${r.runner}`;
    const first = seenRig.get(key);
    if (first !== undefined) at(['rigs', r.index], `rig ${r.config.name} (run: ${r.runner}) is already rigs[${first}]`);
    else seenRig.set(key, r.index);
  }

  const paths: PlannedPath[] = fields.paths.map((p, index) => ({
    index,
    name: p.name ?? `${path.basename(p.from)} -> ${path.basename(p.to)}`,
    ...(p.scheme !== undefined && { scheme: p.scheme }),
    from: path.resolve(dir, p.from),
    to: path.resolve(dir, p.to),
    ...(p.previous !== undefined && { previous: path.resolve(dir, p.previous) }),
    ...(p.setup !== undefined && { setup: p.setup }),
  }));
  const modes: PlannedMode[] = fields.cuts.map((mode, index) => ({ index, mode, label: modeLabel(mode) }));

  const cells: PlannedCell[] = [];
  const imageCache = new Map<string, Buffer | string>();
  const reported = new Set<string>();
  const pathUsed = new Set<number>();
  for (const rig of rigs) {
    const scheme = rig.config.scheme;
    const mine = paths.filter((p) => p.scheme === undefined || p.scheme === scheme);
    if (mine.length === 0) {
      at(['rigs', rig.index], `no update path for rig ${rig.config.name} (scheme ${scheme}): add a path with images for ${scheme}, or leave its scheme: out`);
      continue;
    }
    let runnable = 0;
    for (const p of mine) {
      pathUsed.add(p.index);
      for (const issue of pathImageIssues(locator, p, scheme, rig.config.name, imageCache)) {
        // One image read as one scheme fails the same way for every rig of that scheme: say it once.
        const key = `${issue.line}:${issue.col}:${scheme}`;
        if (!reported.has(key)) issues.push(issue);
        reported.add(key);
      }
      const setups = SCHEME_SETUPS[scheme] ?? [];
      if (p.setup !== undefined && !setups.includes(p.setup)) {
        const key = `setup:${p.index}:${scheme}`;
        if (!reported.has(key)) at(['paths', p.index, 'setup'], `setup ${JSON.stringify(p.setup)} does not exist for ${scheme}, the scheme of rig ${rig.config.name} (setups: ${setups.join(', ')})`);
        reported.add(key);
      }
      for (const m of modes) {
        const why = notApplicable(m.mode, rig);
        if (!why) runnable++;
        const planned = plannedPoints(m.mode);
        cells.push({
          id: `c${cells.length + 1}`,
          rig,
          path: p,
          mode: m,
          ...(why && { notApplicable: why }),
          ...(planned !== undefined && { plannedPoints: planned }),
          seed: m.mode.seed ?? fields.seed ?? rig.config.twin?.seed ?? 1,
          offMs: fields.offMs ?? rig.config.power.offMs,
          setup: p.setup ?? setups[0] ?? 'default',
        });
      }
    }
    if (runnable === 0) {
      at(['rigs', rig.index], `no cut mode of cuts: can run on rig ${rig.config.name} (run: ${rig.runner}): ${notApplicable(modes[0]!.mode, rig)}`);
    }
  }
  for (const p of paths) {
    if (!pathUsed.has(p.index) && rigs.length === fields.rigs.length) at(['paths', p.index, 'scheme'], `no rig of scheme ${p.scheme} in rigs: this path would never run`);
  }
  if (issues.length > 0) throw new ConfigFileError(issues);

  const z = zFor(fields.threshold.confidence);
  const plan: SignoffPlan = {
    file: absolute,
    name: fields.name ?? basename(absolute),
    ...(fields.description !== undefined && { description: fields.description }),
    threshold: { ...fields.threshold, z, pointsNeeded: pointsNeeded(fields.threshold.recovery, z) },
    expect: fields.expect,
    rigs,
    paths,
    modes,
    cells,
  };
  rememberSource(plan, locator);
  return plan;
}
