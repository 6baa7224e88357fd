/**
 * The steps every config file goes through before its own checks: YAML text -> a located
 * top-level mapping, then a zod schema -> typed value or located issues.
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type YAMLError } from 'yaml';
import type { z } from 'zod';
import type { ConfigIssue } from './errors.js';
import { describeValue, fallbackError, isUnknownKeyParams, unknownKeyMessage } from './fields.js';
import { MAX_LISTED_ISSUES, MAX_NESTING } from './limits.js';
import { SourceLocator } from './locate.js';

export type YamlMapping = Record<string, unknown>;

export type ReadResult = { ok: true; data: YamlMapping; locator: SourceLocator } | { ok: false; issues: ConfigIssue[] };

function lowerFirst(message: string): string {
  return message.charAt(0).toLowerCase() + message.slice(1);
}

function yamlMessage(error: YAMLError, what: string): string {
  switch (error.code) {
    case 'TAB_AS_INDENT':
      return 'tab character in indentation (YAML indents with spaces only)';
    case 'MULTIPLE_DOCS':
      return `a second YAML document (---): a file holds exactly one ${what.replace(/^an? /, '')}`;
    case 'RESOURCE_EXHAUSTION':
      // The parser ran out of stack: nesting thousands of levels deep.
      return `nested too deep (more than ${MAX_NESTING} levels of mappings and lists)`;
    default:
      return lowerFirst(error.message);
  }
}

interface Spot {
  offset: number;
  message: string;
}

/**
 * What the parser is not asked to check, in one pass over the nodes (so that it stays linear:
 * yaml's own duplicate-key check compares each key with every earlier one, and 30,000 keys took
 * minutes): duplicate keys, keys that are lists or mappings, nesting deeper than MAX_NESTING.
 * Aliases are not followed (toJS bounds their expansion).
 */
function structureProblems(doc: Document): Spot[] {
  const problems: Spot[] = [];
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 1 }];
  while (stack.length > 0 && problems.length < MAX_LISTED_ISSUES) {
    const { node, depth } = stack.pop()!;
    if (!isMap(node) && !isSeq(node)) continue;
    const start = (node as Node).range?.[0] ?? 0;
    if (depth > MAX_NESTING) {
      problems.push({ offset: start, message: `nested too deep (more than ${MAX_NESTING} levels of mappings and lists)` });
      continue;
    }
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        if (isScalar(key)) {
          const text = String(key.value);
          if (seen.has(text)) problems.push({ offset: key.range?.[0] ?? start, message: `duplicate key ${describeValue(text)}` });
          seen.add(text);
        } else if (key !== null && !isAlias(key)) {
          problems.push({ offset: key.range?.[0] ?? start, message: 'a key must be a plain word, not a list or a mapping' });
          continue;
        }
        stack.push({ node: pair.value, depth: depth + 1 });
      }
    } else {
      for (const item of node.items) stack.push({ node: item, depth: depth + 1 });
    }
  }
  return problems;
}

/**
 * Parses YAML and checks that the top level is a mapping with unique keys. Syntax errors are
 * returned all together; the schema is not checked on a document with syntax errors.
 * `what` names the file kind in messages ("a rig", "a suite").
 */
export function readYamlMapping(text: string, file: string, what: string): ReadResult {
  const lineCounter = new LineCounter();
  // uniqueKeys: checked by structureProblems (linear); logLevel error: no warnings printed on stderr
  // ('silent' would also drop the MULTIPLE_DOCS error).
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false, logLevel: 'error' });
  const at = (offset: number, message: string): ConfigIssue => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col, path: '', message };
  };
  const problems: Spot[] = [...doc.errors, ...doc.warnings].map((problem) => ({ offset: problem.pos[0], message: yamlMessage(problem, what) }));
  problems.push(...structureProblems(doc));
  problems.sort((x, y) => x.offset - y.offset);
  if (problems.length > 0) {
    // One problem often yields several errors at the same spot: keep the first, the root cause.
    const seen = new Set<string>();
    const issues: ConfigIssue[] = [];
    for (const problem of problems.slice(0, MAX_LISTED_ISSUES)) {
      const issue = at(problem.offset, problem.message);
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
    // maxAliasCount: an alias bomb (aliases of aliases) is refused instead of expanded.
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    const message = (error as Error).message;
    const bomb = /alias/i.test(message) ? 'too many aliases (*name): an alias bomb is not a config' : lowerFirst(message);
    return { ok: false, issues: [at(0, bomb)] };
  }
  return { ok: true, data: data as YamlMapping, locator };
}

export type Validated<T> = { ok: true; value: T } | { ok: false; issues: ConfigIssue[]; more: number };

/**
 * Validates `data` with a schema built from fields.ts and locates its issues: the first
 * MAX_LISTED_ISSUES of them; `more` counts the rest (30,000 unknown keys are one mistake).
 */
export function validate<S extends z.ZodType>(schema: S, data: unknown, locator: SourceLocator): Validated<z.output<S>> {
  const result = schema.safeParse(data, { error: fallbackError });
  if (result.success) return { ok: true, value: result.data };
  const all = result.error.issues;
  const issues = all.slice(0, MAX_LISTED_ISSUES).map((issue) => {
    const path = issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment));
    if (issue.code === 'custom' && isUnknownKeyParams(issue.params)) {
      return locator.issue(path, unknownKeyMessage(String(path.at(-1)), issue.params), 'key');
    }
    return locator.issue(path, issue.message);
  });
  return { ok: false, issues, more: all.length - issues.length };
}
