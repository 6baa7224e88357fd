/**
 * The campaign file (`campaigns/NAME.yaml`, `hil run --campaign NAME`): which suites run on which
 * rigs (twin and bench), the release gate that decides the run's exit code, and how much history
 * to keep per board. Parsed like a suite (document.ts): every problem at file:line:col with its
 * field path, all at once; suite and rig files it names must exist (located at the line naming them).
 */
import path from 'node:path';
import { z } from 'zod';
import { readYamlMapping, validate } from './document.js';
import { ConfigFileError, displayFile, type ConfigIssue } from './errors.js';
import { bool, expected, int, list, mapping, oneOf, shorthand, str } from './fields.js';
import { FileRefusal, checkRegularFileSync, readRegularFile } from './file-read.js';
import { MAX_CONFIG_BYTES } from './limits.js';
import { rememberSource } from './locate.js';
import { decodeConfigText } from './text.js';

/** Runs kept per board when the file does not say: a month of nightlies. */
export const DEFAULT_HISTORY_KEEP = 30;
/** A history file stays small whatever a file asks (each run is a few KiB per board). */
export const MAX_HISTORY_KEEP = 1000;
/** Re-runs of one failing cut (`confirm:`, `hil run --confirm N`). */
export const MAX_CONFIRM = 100;

const ref = (what: string) =>
  str().refine((r) => r.endsWith('.yaml') || r.endsWith('.yml') || !/[/\\]/.test(r), {
    message: `expected a ${what} name (no slash) or a path ending in .yaml`,
  });

const rigRef = shorthand(
  'rig',
  mapping({
    /** A rig name (`rigs/NAME.yaml` beside the campaign's folder) or a path ending in .yaml. */
    rig: ref('rig'),
    /** Default: what the suite says for this rig (and variant), else recovers. */
    expect: oneOf(['recovers', 'caught']).optional(),
    variant: str().optional(),
    powerLoss: oneOf(['skip', 'complete', 'torn', 'random']).optional(),
  }),
);

const suiteEntry = shorthand(
  'suite',
  mapping({
    /** A suite name (`suites/NAME.yaml` beside the campaign's folder) or a path ending in .yaml. */
    suite: ref('suite'),
    /** Instead of the suite's own rigs (which run when this is left out). */
    rigs: list(rigRef, 1).optional(),
  }),
);

const count = (max = 1_000_000) => int({ min: 0, max });

export const campaignSchema = mapping({
  name: str().optional(),
  description: z.string({ error: expected('a string') }).optional(),
  suites: list(suiteEntry, 1),
  gate: mapping({
    /** Device failures allowed (cut points whose outcome is not safe, seeded bugs not caught). */
    maxFailures: count().default(0),
    /** Fewer tests than this fails the gate ("0 tests ran" never passes). */
    minTests: count().default(1),
    /** Every rig the campaign lists must give at least one device result (not only rig errors). */
    everyRigTested: bool().default(true),
    /** Rig errors (broken results: the rig, not the device) allowed. */
    maxRigErrors: count().default(0),
  }).default(() => ({ maxFailures: 0, minTests: 1, everyRigTested: true, maxRigErrors: 0 })),
  history: mapping({
    /** Runs kept per board (rig name + board serial); older ones are dropped. */
    keep: int({ min: 1, max: MAX_HISTORY_KEEP }).default(DEFAULT_HISTORY_KEEP),
  }).default(() => ({ keep: DEFAULT_HISTORY_KEEP })),
  /** Re-run each failing cut this many times (0: never); `hil run --confirm N` overrides it. */
  confirm: int({ min: 0, max: MAX_CONFIRM }).default(0),
});

export interface CampaignRig {
  /** As written: a rig name or a path. */
  rig: string;
  /** Absolute path of the rig file. */
  path: string;
  expect?: 'recovers' | 'caught';
  twin?: { variant?: string; powerLoss?: 'skip' | 'complete' | 'torn' | 'random' };
}

export interface CampaignSuite {
  /** Absolute path of the suite file. */
  file: string;
  /** Undefined: the suite's own rigs. */
  rigs?: CampaignRig[];
}

export interface CampaignGate {
  maxFailures: number;
  minTests: number;
  everyRigTested: boolean;
  maxRigErrors: number;
}

export interface CampaignConfig {
  /** Absolute path of the campaign file. */
  file: string;
  /** `name:` or the file's basename: the Allure epic and the history stream. */
  name: string;
  description?: string;
  suites: CampaignSuite[];
  gate: CampaignGate;
  history: { keep: number };
  confirm: number;
}

/** The gate of a run without a campaign file: what `hil run` always did (any failure or rig error fails). */
export const DEFAULT_GATE: CampaignGate = { maxFailures: 0, minTests: 0, everyRigTested: false, maxRigErrors: 0 };

function refPath(campaignFile: string, kind: 'suites' | 'rigs', reference: string): string {
  const dir = path.dirname(campaignFile);
  return /\.ya?ml$/.test(reference) ? path.resolve(dir, reference) : path.join(dir, '..', kind, `${reference}.yaml`);
}

function missing(file: string): string | undefined {
  try {
    checkRegularFileSync(file, MAX_CONFIG_BYTES);
    return undefined;
  } catch (error) {
    if (!(error instanceof FileRefusal)) throw error;
    return error.reason;
  }
}

/** Parses a campaign file's text; the suite and rig files it names must exist. */
export function parseCampaign(text: string, file: string): CampaignConfig {
  const absolute = path.resolve(file);
  if (text.length > MAX_CONFIG_BYTES) throw new ConfigFileError([{ file: absolute, path: '', message: 'cannot read: too large (campaign files are a few KiB)' }]);
  const read = readYamlMapping(text, absolute, 'a campaign');
  if (!read.ok) throw new ConfigFileError(read.issues);
  const result = validate(campaignSchema, read.data, read.locator);
  if (!result.ok) throw new ConfigFileError(result.issues, result.more);
  const fields = result.value;
  const issues: ConfigIssue[] = [];
  const suites: CampaignSuite[] = fields.suites.map((entry, i) => {
    const suiteFile = refPath(absolute, 'suites', entry.suite);
    const why = missing(suiteFile);
    if (why) issues.push(read.locator.issue(['suites', i], `suite ${displayFile(suiteFile)}: ${why}`));
    if (!entry.rigs) return { file: suiteFile };
    const rigs = entry.rigs.map((r, j): CampaignRig => {
      const rigFile = refPath(absolute, 'rigs', r.rig);
      const rigWhy = missing(rigFile);
      if (rigWhy) issues.push(read.locator.issue(['suites', i, 'rigs', j], `rig ${displayFile(rigFile)}: ${rigWhy}`));
      const twin = { ...(r.variant !== undefined && { variant: r.variant }), ...(r.powerLoss !== undefined && { powerLoss: r.powerLoss }) };
      return { rig: r.rig, path: rigFile, ...(r.expect && { expect: r.expect }), ...(Object.keys(twin).length && { twin }) };
    });
    return { file: suiteFile, rigs };
  });
  if (issues.length) throw new ConfigFileError(issues);
  const campaign: CampaignConfig = {
    file: absolute,
    name: fields.name ?? path.basename(absolute).replace(/\.ya?ml$/, ''),
    ...(fields.description !== undefined && { description: fields.description }),
    suites,
    gate: fields.gate,
    history: fields.history,
    confirm: fields.confirm,
  };
  rememberSource(campaign, read.locator);
  return campaign;
}

export async function loadCampaign(file: string): Promise<CampaignConfig> {
  const absolute = path.resolve(file);
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(absolute, MAX_CONFIG_BYTES);
  } catch (error) {
    if (!(error instanceof FileRefusal)) throw error;
    throw new ConfigFileError([{ file: absolute, path: '', message: `cannot read: ${error.reason}` }]);
  }
  const decoded = decodeConfigText(bytes, 'a campaign file');
  if (!decoded.ok) throw new ConfigFileError([{ file: absolute, line: decoded.line, col: decoded.col, path: '', message: decoded.message }]);
  return parseCampaign(decoded.text, absolute);
}
