/**
 * The steps every config file goes through before its own checks: YAML text -> a located
 * top-level mapping, then a zod schema -> typed value or located issues.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import type { z } from 'zod';
import type { ConfigIssue } from './errors.js';
import { fallbackError, isUnknownKeyParams, unknownKeyMessage } from './fields.js';
import { SourceLocator } from './locate.js';

export type YamlMapping = Record<string, unknown>;

export type ReadResult = { ok: true; data: YamlMapping; locator: SourceLocator } | { ok: false; issues: ConfigIssue[] };

function lowerFirst(message: string): string {
  return message.charAt(0).toLowerCase() + message.slice(1);
}

/** The text of the mapping key that starts at `offset`, if any. */
function keyAt(doc: Document, offset: number): string | undefined {
  let found: string | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) {
        found = String(pair.key.value);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function yamlMessage(error: YAMLError, doc: Document, what: string): string {
  switch (error.code) {
    case 'DUPLICATE_KEY': {
      const key = keyAt(doc, error.pos[0]);
      return key === undefined ? 'duplicate key' : `duplicate key "${key}"`;
    }
    case 'TAB_AS_INDENT':
      return 'tab character in indentation (YAML indents with spaces only)';
    case 'MULTIPLE_DOCS':
      return `a second YAML document (---): a file holds exactly one ${what.replace(/^an? /, '')}`;
    default:
      return lowerFirst(error.message);
  }
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
  if (problems.length > 0) {
    // One problem often yields several errors at the same spot: keep the first, the root cause.
    const seen = new Set<string>();
    const issues: ConfigIssue[] = [];
    for (const problem of problems) {
      const issue = at(problem.pos[0], yamlMessage(problem, doc, what));
      const spot = `${issue.line}:${issue.col}`;
      if (!seen.has(spot)) issues.push(issue);
      seen.add(spot);
    }
    return { ok: false, issues };
  }

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
    return { ok: false, issues: [at(0, lowerFirst((error as Error).message))] };
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
