/**
 * Rig and suite files -> validated configs. `parse*` take the text (no file reads except the
 * suite's image check); `load*` read the file first. Every problem of a file is reported at once
 * in a ConfigFileError (a ConfigError, exit code 2).
 */
import path from 'node:path';
import { readYamlMapping, validate, type YamlMapping } from './document.js';
import { ConfigFileError, displayFile, formatLocation, type ConfigIssue, type ConfigPath, type PathIssue } from './errors.js';
import { FileRefusal, checkRegularFileSync, formatSize, readRegularFile, readRegularFileSync } from './file-read.js';
import { ImageProblem, readImage } from './image-readers.js';
import { MAX_CONFIG_BYTES, MAX_IMAGE_BYTES } from './limits.js';
import { issueAt, rememberSource, sourceOf, type SourceLocator } from './locate.js';
import { completeRigFields, rigCrossIssues, rigSchema, type RigConfig, type RigOptions } from './rig-schema.js';
import { suiteCrossIssues, suiteSchema, type SuiteConfig, type SuiteFields, type TwinOverrides } from './suite-schema.js';
import { decodeConfigText } from './text.js';
import { DEFAULT_VARIANTS, SCHEME_SETUPS } from './vocabulary.js';

function basename(file: string): string {
  return path.basename(file).replace(/\.ya?ml$/, '');
}

/**
 * A config file's text: a regular file of at most MAX_CONFIG_BYTES (a FIFO, a device, a
 * directory or a huge file is refused before it is read) that is UTF-8 text.
 */
async function readText(file: string, what: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(file, MAX_CONFIG_BYTES);
  } catch (error) {
    if (!(error instanceof FileRefusal)) throw error;
    const hint = /more than|grew past/.test(error.reason) ? ` (${what} files are a few KiB)` : '';
    throw new ConfigFileError([{ file, path: '', message: `cannot read: ${error.reason}${hint}` }]);
  }
  return textOf(bytes, file, what);
}

function textOf(bytes: Uint8Array, file: string, what: string): string {
  const decoded = decodeConfigText(bytes, `a ${what} file`);
  if (!decoded.ok) throw new ConfigFileError([{ file, line: decoded.line, col: decoded.col, path: '', message: decoded.message }]);
  return decoded.text;
}

/** Text that did not come through readText (parseRig / parseSuite callers) gets the same checks. */
function checkedText(text: string, file: string, what: string): string {
  if (text.length > MAX_CONFIG_BYTES) {
    throw new ConfigFileError([{ file, path: '', message: `cannot read: is more than the ${formatSize(MAX_CONFIG_BYTES)} allowed (${what} files are a few KiB)` }]);
  }
  // Lone surrogates and controls are refused the same way as bad bytes in a file.
  return textOf(Buffer.from(text, 'utf8'), file, what);
}

function located(locator: SourceLocator, issues: readonly PathIssue[]): ConfigIssue[] {
  return issues.map((issue) => locator.issue(issue.path, issue.message));
}

// ---------------------------------------------------------------------------------------- rigs

/** Parses and validates a rig file's text. `file` may be relative to the working directory. */
export function parseRig(text: string, file: string, options: RigOptions = {}): RigConfig {
  const absolute = path.resolve(file);
  const read = readYamlMapping(checkedText(text, absolute, 'rig'), absolute, 'a rig');
  if (!read.ok) throw new ConfigFileError(read.issues);
  const result = validate(rigSchema, read.data, read.locator);
  const issues = [...(result.ok ? [] : result.issues), ...located(read.locator, rigCrossIssues(read.data, options))];
  if (!result.ok || issues.length > 0) throw new ConfigFileError(issues, result.ok ? 0 : result.more);
  const { name, ...fields } = result.value;
  const rig: RigConfig = { file: absolute, name: name ?? basename(absolute), ...completeRigFields(fields) };
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
  return parseRig(await readText(file, 'rig'), file, options);
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
  const via = (images as Record<string, unknown>).via;
  const named: [ConfigPath, unknown][] = [
    ...(['from', 'to', 'previous'] as const).map((key): [ConfigPath, unknown] => [['images', key], (images as Record<string, unknown>)[key]]),
    ...(Array.isArray(via) ? via.map((v, i): [ConfigPath, unknown] => [['images', 'via', i], v]) : []),
  ];
  for (const [at, value] of named) {
    if (typeof value !== 'string' || value === '') continue;
    const resolved = path.resolve(dir, value);
    try {
      const { size } = checkRegularFileSync(resolved, MAX_IMAGE_BYTES);
      if (size === 0) issues.push({ path: at, message: `image ${displayFile(resolved)} is empty` });
    } catch (error) {
      if (!(error instanceof FileRefusal)) throw error;
      const message = error.reason === 'no such file' ? `image not found: ${displayFile(resolved)}` : `image ${displayFile(resolved)} ${error.reason}`;
      issues.push({ path: at, message });
    }
  }
  return issues;
}

/**
 * Where each rig entry's twin overrides were written (suite, index in rigs:), so that
 * withTwinOverrides, which gets only the overrides, can point at the line.
 */
const overrideSources = new WeakMap<TwinOverrides, { suite: SuiteConfig; path: ConfigPath }>();

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
      ...(images.via !== undefined && { via: images.via.map((v) => path.resolve(dir, v)) }),
    },
    rigs: (rigs ?? []).map(({ rig, expect, variant, powerLoss, retry }) => {
      const twin = { ...(variant !== undefined && { variant }), ...(powerLoss !== undefined && { powerLoss }) };
      return { rig, path: suiteRigPath(file, rig), expect, ...(Object.keys(twin).length && { twin }), ...(retry !== undefined && { retry }) };
    }),
  };
}

/**
 * Parses and validates a suite file's text; image paths are resolved against the file's folder
 * and must exist. `file` may be relative to the working directory.
 */
export function parseSuite(text: string, file: string): SuiteConfig {
  const absolute = path.resolve(file);
  const read = readYamlMapping(checkedText(text, absolute, 'suite'), absolute, 'a suite');
  if (!read.ok) throw new ConfigFileError(read.issues);
  const result = validate(suiteSchema, read.data, read.locator);
  const cross = [...suiteCrossIssues(read.data), ...imageIssues(read.data, path.dirname(absolute))];
  const issues = [...(result.ok ? [] : result.issues), ...located(read.locator, cross)];
  if (!result.ok || issues.length > 0) throw new ConfigFileError(issues, result.ok ? 0 : result.more);
  const suite = buildSuite(absolute, result.value);
  rememberSource(suite, read.locator);
  suite.rigs.forEach((entry, i) => entry.twin && overrideSources.set(entry.twin, { suite, path: ['rigs', i] }));
  return suite;
}

export async function loadSuite(file: string): Promise<SuiteConfig> {
  const absolute = path.resolve(file);
  return parseSuite(await readText(absolute, 'suite'), absolute);
}

/**
 * The error for a suite with no rigs run without --rig: at the suite's top level, where
 * `rigs:` belongs. (For `hil run`, which today words it itself.)
 */
export function noRigsError(suite: SuiteConfig): ConfigFileError {
  return new ConfigFileError([issueAt(suite, ['rigs'], 'no rigs listed: add rigs: [RIG] to the suite, or give hil run --rig RIG')]);
}

/**
 * The rig of a suite's `rigs[index]` entry, with its overrides applied. A rig file that is missing or
 * unreadable is reported at the suite's line that names it (the rig file has no line to give).
 */
export async function loadSuiteRig(suite: SuiteConfig, index: number): Promise<RigConfig> {
  const entry = suite.rigs[index]!;
  let rig: RigConfig;
  try {
    rig = await loadRig(entry.path);
  } catch (error) {
    const first = error instanceof ConfigFileError ? error.issues[0] : undefined;
    if (!first || first.line !== undefined) throw error;
    throw new ConfigFileError([issueAt(suite, ['rigs', index], `rig ${displayFile(entry.path)}: ${first.message}`)]);
  }
  return withTwinOverrides(rig, 'twin' in entry ? entry.twin : undefined, suite.file);
}

/**
 * A twin rig with a suite's overrides applied (another bootloader variant, power-loss mode). The
 * rig's name says so, so reports tell the runs apart. Errors point at the suite's rigs[] entry
 * when the overrides come from a loaded suite (`where` is used otherwise).
 */
export function withTwinOverrides(rig: RigConfig, overrides: TwinOverrides | undefined, where: string): RigConfig {
  if (!overrides || Object.keys(overrides).length === 0) return rig;
  const source = overrideSources.get(overrides);
  const fail = (field: string, message: string): ConfigFileError =>
    source ? new ConfigFileError([issueAt(source.suite, [...source.path, field], message)]) : new ConfigFileError([{ file: path.resolve(where), path: '', message }]);
  if (!rig.twin) {
    const field = overrides.variant !== undefined ? 'variant' : 'powerLoss';
    throw fail(field, `variant and powerLoss only apply to twin rigs, and ${rig.name} (${displayFile(rig.file)}) is not one`);
  }
  const known = DEFAULT_VARIANTS[rig.scheme];
  if (overrides.variant !== undefined && known && !known.includes(overrides.variant)) {
    throw fail('variant', `variant ${JSON.stringify(overrides.variant)} does not exist for ${rig.scheme} (variants: ${known.join(', ')})`);
  }
  const twin = { ...rig.twin, ...overrides };
  const tags = [overrides.variant, overrides.powerLoss && `${overrides.powerLoss}-loss`].filter(Boolean).join(',');
  const result = { ...rig, twin, name: `${rig.name}[${tags}]` };
  // Same file, same fields: later errors about the rig still find their line.
  const locator = sourceOf(rig);
  if (locator) rememberSource(result, locator);
  return result;
}

const IMAGE_KEYS = ['from', 'to', 'previous'] as const;

/** The image problems of a suite on a rig of `scheme`, each at its images.KEY; versions read. */
function suiteImageIssues(suite: SuiteConfig, scheme: RigConfig['scheme'], rigName: string): { issues: ConfigIssue[]; versions: Partial<Record<string, string>> } {
  const issues: ConfigIssue[] = [];
  const versions: Partial<Record<string, string>> = {};
  for (const key of IMAGE_KEYS) {
    const file = suite.images[key];
    if (file === undefined) continue;
    const at = (message: string) => issues.push(issueAt(suite, ['images', key], `image ${displayFile(file)} ${message}`));
    let bytes: Buffer;
    try {
      bytes = readRegularFileSync(file, MAX_IMAGE_BYTES);
    } catch (error) {
      if (!(error instanceof FileRefusal)) throw error;
      at(error.reason === 'no such file' ? 'not found' : error.reason);
      continue;
    }
    try {
      const reading = readImage(scheme, bytes);
      if (reading.version === undefined) at(`carries no app info block, so its banner cannot be recognised (read as ${scheme}, the scheme of rig ${rigName})`);
      else versions[key] = reading.version;
    } catch (error) {
      if (!(error instanceof ImageProblem)) throw error;
      at(`${error.message.replace(/^image /, '')} (read as ${scheme}, the scheme of rig ${rigName})`);
    }
  }
  if (versions.from !== undefined && versions.from === versions.to) {
    issues.push(issueAt(suite, ['images', 'to'], `has the same version ${versions.from} as images.from: an update could not be told from a rollback`));
  }
  return { issues, versions };
}

/**
 * Everything about a suite that depends on the rig it runs on, checked before any run starts:
 * the scheme, `setup:` (a setup of that scheme), and the images (readable, of that scheme, with an
 * app info block, two different versions). Throws a ConfigFileError located in the suite.
 */
export function checkRigForSuite(rig: RigConfig, suite: SuiteConfig): void {
  if (suite.scheme !== undefined && suite.scheme !== rig.scheme) {
    const rigAt = formatLocation(issueAt(rig, ['scheme'], ''));
    throw new ConfigFileError([issueAt(suite, ['scheme'], `the suite is for scheme ${suite.scheme}, but rig ${rig.name} (${rigAt}) has scheme ${rig.scheme}`)]);
  }
  const issues: ConfigIssue[] = [];
  const setups = SCHEME_SETUPS[rig.scheme];
  if (suite.setup !== undefined && !setups.includes(suite.setup)) {
    issues.push(issueAt(suite, ['setup'], `setup ${JSON.stringify(suite.setup)} does not exist for ${rig.scheme}, the scheme of rig ${rig.name} (setups: ${setups.join(', ')})`));
  }
  issues.push(...suiteImageIssues(suite, rig.scheme, rig.name).issues);
  if (issues.length > 0) throw new ConfigFileError(issues);
}
