/**
 * Finding a result's repro record in an Allure results folder: from a `*-result.json` (its
 * `repro.json` attachment, a file beside it), from a `repro.json` itself, or from the short id
 * (the `repro id` parameter) that a failure line prints. Every problem is a ConfigError naming the
 * file or the id and the folder (exit 2), never a stack trace.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { displayFile } from '../config/errors.js';
import { FileRefusal, readRegularFileSync } from '../config/file-read.js';
import { REPRO_ATTACHMENT, REPRO_ID_PARAMETER, type ReproRecord } from './repro-record.js';

/** Allure result files hold steps and attachment names; far below this. */
const MAX_RESULT_BYTES = 64 * 1024 * 1024;
const MAX_RECORD_BYTES = 1024 * 1024;

export const REPRO_ID = /^[0-9a-f]{8}$/;

export interface FoundRepro {
  record: ReproRecord;
  /** The Allure result it came from (absent when a repro.json was named directly). */
  resultFile?: string;
  /** The result's Allure status (passed, failed, broken). */
  status?: string;
  /** The result's `repro id` parameter, when it has one. */
  id?: string;
}

interface AllureNode {
  name?: string;
  status?: string;
  start?: number;
  stop?: number;
  parameters?: { name?: string; value?: string }[];
  attachments?: { name?: string; source?: string; type?: string }[];
  steps?: AllureNode[];
}

function readText(file: string, max: number, what: string): string {
  try {
    return readRegularFileSync(file, max).toString('utf8');
  } catch (err) {
    if (err instanceof FileRefusal) throw new ConfigError(`${displayFile(file)}: cannot read ${what}: ${err.reason}`, { file });
    throw err;
  }
}

function parseJson(file: string, text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${displayFile(file)}: not ${what}: ${(err as Error).message}`, { file });
  }
}

/** Every attachment of a result, its steps' included (allure-js-commons 3 puts each attachment in a step of its own). */
export function resultAttachments(node: AllureNode): { name?: string; source?: string; type?: string }[] {
  return [...(node.attachments ?? []), ...(node.steps ?? []).flatMap((s) => resultAttachments(s))];
}

function parameter(node: AllureNode, name: string): string | undefined {
  return node.parameters?.find((p) => p.name === name)?.value;
}

/** The text of a result's attachment by name (a file beside the result), or undefined. */
export function attachmentText(resultFile: string, result: AllureNode, name: string): string | undefined {
  const a = resultAttachments(result).find((x) => x.name === name && typeof x.source === 'string');
  if (!a) return undefined;
  // The source is a bare file name in the results folder; anything else is not Allure's.
  if (basename(a.source!) !== a.source) return undefined;
  try {
    return readRegularFileSync(join(dirname(resultFile), a.source!), MAX_RESULT_BYTES).toString('utf8');
  } catch (err) {
    if (err instanceof FileRefusal) return undefined;
    throw err;
  }
}

export function readAllureResult(file: string): AllureNode {
  const data = parseJson(file, readText(file, MAX_RESULT_BYTES, 'the result'), 'an Allure result (JSON)');
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(`${displayFile(file)}: not an Allure result (expected a JSON object)`, { file });
  return data as AllureNode;
}

/** A result file, or a repro.json: the record it holds. */
export function reproFromFile(file: string): FoundRepro {
  const path = resolve(file);
  const data = readAllureResult(path) as AllureNode & Partial<ReproRecord>;
  if ('kind' in data && 'version' in data && !('steps' in data)) return { record: checkRecord(data, path) };
  const a = resultAttachments(data).find((x) => x.name === REPRO_ATTACHMENT);
  if (!a || typeof a.source !== 'string') {
    throw new ConfigError(
      `${displayFile(path)}: this result has no ${REPRO_ATTACHMENT} attachment, so it cannot be replayed (only cuts and sweep points record one; results from before hil repro existed do not)`,
      {
        file: path,
      },
    );
  }
  if (basename(a.source) !== a.source)
    throw new ConfigError(`${displayFile(path)}: its ${REPRO_ATTACHMENT} attachment names ${JSON.stringify(a.source)}, not a file of the results folder`, { file: path });
  const recordFile = join(dirname(path), a.source);
  let text: string;
  try {
    text = readRegularFileSync(recordFile, MAX_RECORD_BYTES).toString('utf8');
  } catch (err) {
    if (err instanceof FileRefusal)
      throw new ConfigError(`${displayFile(path)}: its ${REPRO_ATTACHMENT} attachment ${displayFile(recordFile)} ${err.reason === 'no such file' ? 'is missing' : err.reason}`, { file: path });
    throw err;
  }
  const record = checkRecord(parseJson(recordFile, text, `a ${REPRO_ATTACHMENT}`), recordFile);
  const id = parameter(data, REPRO_ID_PARAMETER);
  return { record, resultFile: path, ...(data.status && { status: data.status }), ...(id && { id }) };
}

/**
 * The result whose `repro id` is `id`, in `dir`. The same id twice is the same cut recorded twice
 * (a rerun): the newest is taken.
 */
export function reproFromId(id: string, dir: string): FoundRepro {
  const folder = resolve(dir);
  const { files, searched } = findReproIds(folder, [id], `repro id ${id}`);
  const file = files.get(id);
  if (!file) throw new ConfigError(`repro id ${id}: no result in ${displayFile(folder)} has it (${searched} result file(s) searched; name another folder with --results DIR)`, { file: folder });
  return reproFromFile(file);
}

/**
 * The result file of each id in `dir` (the newest when an id is there twice), in one pass over the
 * folder. `what` names the search in the error for a missing folder.
 */
export function findReproIds(folder: string, ids: readonly string[], what: string): { files: Map<string, string>; searched: number } {
  let names: string[];
  try {
    if (!statSync(folder).isDirectory()) throw new ConfigError(`${what}: ${displayFile(folder)} is not a folder of Allure results`, { file: folder });
    names = readdirSync(folder).filter((n) => n.endsWith('-result.json'));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`${what}: no results folder ${displayFile(folder)} (name the folder with --results DIR; hil run writes reports/allure-results)`, { file: folder });
  }
  const wanted = new Set(ids);
  const best = new Map<string, { file: string; at: number }>();
  for (const name of names) {
    const file = join(folder, name);
    let text: string;
    try {
      text = readRegularFileSync(file, MAX_RESULT_BYTES).toString('utf8');
    } catch (err) {
      if (err instanceof FileRefusal) continue;
      throw err;
    }
    // Most results hold none of the ids: look for the parameter before parsing.
    if (!text.includes(REPRO_ID_PARAMETER)) continue;
    let data: AllureNode;
    try {
      data = JSON.parse(text) as AllureNode;
    } catch {
      continue;
    }
    const id = parameter(data, REPRO_ID_PARAMETER);
    if (id === undefined || !wanted.has(id)) continue;
    const at = data.stop ?? data.start ?? statSync(file).mtimeMs;
    const known = best.get(id);
    if (!known || at > known.at) best.set(id, { file, at });
  }
  return { files: new Map([...best].map(([id, b]) => [id, b.file])), searched: names.length };
}

const HEX64 = /^[0-9a-f]{64}$/;

/** A record read from a file, checked field by field: a hand-edited or truncated one is named, not replayed wrong. */
export function checkRecord(data: unknown, file: string): ReproRecord {
  const problems: string[] = [];
  const at = (path: string, want: string) => problems.push(`${path}: expected ${want}`);
  const obj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const str = (v: unknown) => typeof v === 'string' && v !== '';
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  const int = (v: unknown) => num(v) && Number.isInteger(v);
  if (!obj(data)) throw new ConfigError(`${displayFile(file)}: not a repro record (expected a JSON object)`, { file });
  const r = data;
  if (r.version !== 1) at('version', '1 (a record from another hilrig version?)');
  if (r.kind !== 'cut' && r.kind !== 'sweep-point') at('kind', 'cut or sweep-point');
  if (!obj(r.rig) || !str(r.rig.name) || !str(r.rig.file)) at('rig', '{name, file}');
  if (r.twin !== undefined && (!obj(r.twin) || !str(r.twin.variant) || !str(r.twin.powerLoss) || !num(r.twin.timeFactor))) at('twin', '{variant, powerLoss, timeFactor}');
  if (!obj(r.images)) at('images', '{from, to, previous?}');
  else {
    for (const key of ['from', 'to', 'previous']) {
      const i = r.images[key];
      if (i === undefined && key === 'previous') continue;
      if (!obj(i) || !str(i.file) || typeof i.sha256 !== 'string' || !HEX64.test(i.sha256)) at(`images.${key}`, '{file, sha256 (64 hex digits)}');
    }
    const via = r.images.via;
    if (via !== undefined && (!Array.isArray(via) || !via.every((i) => obj(i) && str(i.file) && typeof i.sha256 === 'string' && HEX64.test(i.sha256)))) {
      at('images.via', 'a list of {file, sha256 (64 hex digits)}');
    }
  }
  if (r.suite !== undefined && (!obj(r.suite) || !str(r.suite.name) || !str(r.suite.file))) at('suite', '{name, file}');
  if (!str(r.setup)) at('setup', 'a setup name');
  if (r.kind === 'cut' && !str(r.trigger)) at('trigger', 'a trigger (e.g. after:1500ms)');
  if (r.kind === 'sweep-point') {
    const p = r.trigger;
    const point = (v: unknown) => obj(v) && int(v.op) && str(v.mode) && int(v.seed) && (v.fraction === undefined || (num(v.fraction) && (v.fraction as number) <= 1));
    if (!point(p) || (obj(p) && p.atMs !== undefined && !num(p.atMs)) || (obj(p) && p.second !== undefined && !point(p.second))) at('trigger', '{op, mode, fraction?, seed, atMs?, second?}');
  }
  if (!num(r.offMs)) at('offMs', 'a number of ms');
  if (!int(r.seed)) at('seed', 'an integer');
  if (r.secondMs !== undefined && !num(r.secondMs)) at('secondMs', 'a number of ms');
  if (r.bootLoopCycles !== undefined && !int(r.bootLoopCycles)) at('bootLoopCycles', 'an integer');
  if (r.retry !== undefined && !int(r.retry)) at('retry', 'an integer');
  if (r.compatible !== undefined && !str(r.compatible)) at('compatible', 'version sets such as "host 1.x, radio 1.x; host 2.x, radio 2.x"');
  if (!Array.isArray(r.expected) || !r.expected.every(str)) at('expected', 'a list of outcomes');
  if (!str(r.seen)) at('seen', 'an outcome');
  if (r.agree !== undefined && typeof r.agree !== 'boolean') at('agree', 'true or false');
  if (problems.length) throw new ConfigError(`${displayFile(file)}: not a repro record hil repro can replay:\n  ${problems.join('\n  ')}`, { file });
  return r as unknown as ReproRecord;
}
