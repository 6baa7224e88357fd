/**
 * Rig and suite files -> validated configs. `parse*` take the text (no file reads except the
 * suite's image check); `load*` read the file first. Every problem of a file is reported at once
 * in a ConfigFileError (a ConfigError, exit code 2).
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readYamlMapping, validate, type YamlMapping } from './document.js';
import { ConfigFileError, displayFile, formatLocation, type ConfigIssue, type PathIssue } from './errors.js';
import { issueAt, rememberSource, type SourceLocator } from './locate.js';
import { rigCrossIssues, rigSchema, type RigConfig, type RigOptions } from './rig-schema.js';
import { suiteCrossIssues, suiteSchema, type SuiteConfig, type SuiteFields, type TwinOverrides } from './suite-schema.js';
import { DEFAULT_VARIANTS } from './vocabulary.js';
import { ConfigError } from '../core/errors.js';

function basename(file: string): string {
  return path.basename(file).replace(/\.ya?ml$/, '');
}

function readError(file: string, error: unknown): ConfigFileError {
  // Node's message ends with ", open '/the/path'": the path is already at the start of the line.
  const message = (error as Error).message.replace(/, \w+(?: '[^']*')*$/, '');
  return new ConfigFileError([{ file, path: '', message: `cannot read: ${message}` }]);
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw readError(file, error);
  }
}

function located(locator: SourceLocator, issues: readonly PathIssue[]): ConfigIssue[] {
  return issues.map((issue) => locator.issue(issue.path, issue.message));
}

// ---------------------------------------------------------------------------------------- rigs

/** Parses and validates a rig file's text. `file` may be relative to the working directory. */
export function parseRig(text: string, file: string, options: RigOptions = {}): RigConfig {
  const absolute = path.resolve(file);
  const read = readYamlMapping(text, absolute, 'a rig');
  if (!read.ok) throw new ConfigFileError(read.issues);
  const result = validate(rigSchema, read.data, read.locator);
  const issues = [...(result.ok ? [] : result.issues), ...located(read.locator, rigCrossIssues(read.data, options))];
  if (!result.ok || issues.length > 0) throw new ConfigFileError(issues);
  const { name, ...fields } = result.value;
  const rig: RigConfig = { file: absolute, name: name ?? basename(absolute), ...fields };
  rememberSource(rig, read.locator);
  return rig;
}

/** A bare name (no slash, no .yaml) -> `<cwd>/rigs/NAME.yaml`; anything else is a path. */
export function rigPath(pathOrName: string): string {
  const isName = !/[/\\]/.test(pathOrName) && !/\.ya?ml$/.test(pathOrName);
  return isName ? path.resolve('rigs', `${pathOrName}.yaml`) : path.resolve(pathOrName);
}

/** Reads and validates a rig: `loadRig('twin-rp2040-sfu')` or `loadRig('rigs/x.yaml')`. */
export async function loadRig(pathOrName: string, options: RigOptions = {}): Promise<RigConfig> {
  const file = rigPath(pathOrName);
  return parseRig(await readText(file), file, options);
}

// -------------------------------------------------------------------------------------- suites

/** Where a suite's rig reference points: a name -> `../rigs/NAME.yaml` from the suite's folder. */
export function suiteRigPath(suiteFile: string, ref: string): string {
  const dir = path.dirname(suiteFile);
  return /\.ya?ml$/.test(ref) ? path.resolve(dir, ref) : path.join(dir, '..', 'rigs', `${ref}.yaml`);
}

function imageIssues(raw: YamlMapping, dir: string): PathIssue[] {
  const images = raw.images;
  if (typeof images !== 'object' || images === null) return [];
  const issues: PathIssue[] = [];
  for (const key of ['from', 'to', 'previous'] as const) {
    const value = (images as Record<string, unknown>)[key];
    if (typeof value !== 'string' || value === '') continue;
    const resolved = path.resolve(dir, value);
    if (!existsSync(resolved)) issues.push({ path: ['images', key], message: `image not found: ${displayFile(resolved)}` });
    else if (!statSync(resolved).isFile()) issues.push({ path: ['images', key], message: `not a file: ${displayFile(resolved)}` });
  }
  return issues;
}

function buildSuite(file: string, fields: SuiteFields): SuiteConfig {
  const dir = path.dirname(file);
  const { name, images, rigs, ...rest } = fields;
  return {
    file,
    name: name ?? basename(file),
    ...rest,
    images: {
      from: path.resolve(dir, images.from),
      to: path.resolve(dir, images.to),
      ...(images.previous !== undefined && { previous: path.resolve(dir, images.previous) }),
    },
    rigs: rigs.map(({ rig, expect, variant, powerLoss }) => {
      const twin = { ...(variant !== undefined && { variant }), ...(powerLoss !== undefined && { powerLoss }) };
      return { rig, path: suiteRigPath(file, rig), expect, ...(Object.keys(twin).length && { twin }) };
    }),
  };
}

/**
 * Parses and validates a suite file's text; image paths are resolved against the file's folder
 * and must exist. `file` may be relative to the working directory.
 */
export function parseSuite(text: string, file: string): SuiteConfig {
  const absolute = path.resolve(file);
  const read = readYamlMapping(text, absolute, 'a suite');
  if (!read.ok) throw new ConfigFileError(read.issues);
  const result = validate(suiteSchema, read.data, read.locator);
  const cross = [...suiteCrossIssues(read.data), ...imageIssues(read.data, path.dirname(absolute))];
  const issues = [...(result.ok ? [] : result.issues), ...located(read.locator, cross)];
  if (!result.ok || issues.length > 0) throw new ConfigFileError(issues);
  const suite = buildSuite(absolute, result.value);
  rememberSource(suite, read.locator);
  return suite;
}

export async function loadSuite(file: string): Promise<SuiteConfig> {
  const absolute = path.resolve(file);
  return parseSuite(await readText(absolute), absolute);
}

/** Throws a ConfigFileError, naming both files, when the suite requires another scheme than the rig's. */
/**
 * A twin rig with a suite's overrides applied (another bootloader variant, power-loss mode). The
 * rig's name says so, so reports tell the runs apart.
 */
export function withTwinOverrides(rig: RigConfig, overrides: TwinOverrides | undefined, where: string): RigConfig {
  if (!overrides || Object.keys(overrides).length === 0) return rig;
  if (!rig.twin) throw new ConfigError(`${where}: variant and powerLoss only apply to twin rigs, and ${rig.name} is not one`);
  const known = DEFAULT_VARIANTS[rig.scheme];
  if (overrides.variant !== undefined && known && !known.includes(overrides.variant)) {
    throw new ConfigError(`${where}: variant ${JSON.stringify(overrides.variant)} does not exist for ${rig.scheme} (variants: ${known.join(', ')})`);
  }
  const twin = { ...rig.twin, ...overrides };
  const tags = [overrides.variant, overrides.powerLoss && `${overrides.powerLoss}-loss`].filter(Boolean).join(',');
  return { ...rig, twin, name: `${rig.name}[${tags}]` };
}

export function checkRigForSuite(rig: RigConfig, suite: SuiteConfig): void {
  if (suite.scheme === undefined || suite.scheme === rig.scheme) return;
  const rigAt = formatLocation(issueAt(rig, ['scheme'], ''));
  throw new ConfigFileError([
    issueAt(suite, ['scheme'], `the suite is for scheme ${suite.scheme}, but rig ${rig.name} (${rigAt}) has scheme ${rig.scheme}`),
  ]);
}
