/**
 * The steps every config file goes through before its own checks: YAML text -> a located
 * top-level mapping, then a zod schema -> typed value or located issues.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type YAMLError } from 'yaml';
import type { z } from 'zod';
import type { ConfigIssue } from './errors.js';
import { fallbackError, isUnknownKeyParams, unknownKeyMessage } from './fields.js';
import { SourceLocator } from './locate.js';

export type YamlMapping = Record<string, unknown>;

export type ReadResult = { ok: true; data: YamlMapping; locator: SourceLocator } | { ok: false; issues: ConfigIssue[] };

function yamlMessage(error: YAMLError, text: string): string {
  if (error.code === 'DUPLICATE_KEY') {
    const key = text.slice(error.pos[0], error.pos[1]);
    return key && !key.includes('\n') ? `duplicate key "${key}"` : 'duplicate key';
  }
  if (error.code === 'TAB_AS_INDENT') return 'tab character in indentation (YAML indents with spaces only)';
  const message = error.message.replace(/\s+at line \d+, column \d+:[\s\S]*$/, '');
  return message.charAt(0).toLowerCase() + message.slice(1);
}

/**
 * Parses YAML (duplicate keys rejected) and checks that the top level is a mapping. Syntax
 * errors are returned all together; the schema is not checked on a document with syntax errors.
 * `what` names the file kind in messages ("a rig", "a suite").
 */
export function readYamlMapping(text: string, file: string, what: string): ReadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number, message: string): ConfigIssue => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col, path: '', message };
  };
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) return { ok: false, issues: problems.map((e) => at(e.pos[0], yamlMessage(e, text))) };

  const locator = new SourceLocator(file, doc, lineCounter);
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === ''))) {
    return { ok: false, issues: [at(0, `empty file: expected ${what} as a YAML mapping`)] };
  }
  if (!isMap(contents)) {
    const got = isSeq(contents) ? 'a list' : 'a single value';
    return { ok: false, issues: [at(contents.range?.[0] ?? 0, `expected ${what} as a YAML mapping at the top level, got ${got}`)] };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    return { ok: false, issues: [at(0, (error as Error).message)] };
  }
  return { ok: true, data: data as YamlMapping, locator };
}

export type Validated<T> = { ok: true; value: T } | { ok: false; issues: ConfigIssue[] };

/** Validates `data` with a schema built from fields.ts and locates every issue. */
export function validate<S extends z.ZodType>(schema: S, data: unknown, locator: SourceLocator): Validated<z.output<S>> {
  const result = schema.safeParse(data, { error: fallbackError });
  if (result.success) return { ok: true, value: result.data };
  const issues = result.error.issues.map((issue) => {
    const path = issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment));
    if (issue.code === 'custom' && isUnknownKeyParams(issue.params)) {
      return locator.issue(path, unknownKeyMessage(String(path.at(-1)), issue.params), 'key');
    }
    return locator.issue(path, issue.message);
  });
  return { ok: false, issues };
}
