// The dependency direction of ../shared/DESIGN.md, enforced: every relative import in src/ (static
// `import`/`export ... from`, side-effect `import '...'`, dynamic `import('...')`) is checked against
// one table of which top-level folder may import which. A new top-level folder fails until it is
// given a row, so the table cannot silently fall behind the tree.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Layers every layer may import: they import nothing of ours above them. */
const BASE = ['core', 'protocols', 'targets'];
/**
 * `config` (and the schemes' pure metadata it validates names against) is imported by anyone above
 * the base, but not by images/ or twin/, which stay independent readers/devices.
 */
const ANY = [...BASE, 'config', 'schemes-meta'];

interface Rule {
  /** Folders this one may import (values and types). */
  may: string[];
  /** Folders it may import types from only (`import type`, or every specifier marked `type`). */
  typesOnly?: string[];
}

// cli -> (lab, report) -> scenario -> rig -> drivers -> protocols; scenario -> schemes -> images.
// A layer may skip downward (cli may use rig directly); it never imports upward or sideways.
const RULES: Record<string, Rule> = {
  core: { may: [] }, // imports nothing of ours
  protocols: { may: ['core'] },
  targets: { may: ['core', 'protocols'] },
  'schemes-meta': { may: BASE, typesOnly: ['schemes'] }, // schemes/<name>/meta*.ts: names, variants, memory maps; no code
  config: { may: [...BASE, 'schemes-meta'] },
  images: { may: BASE }, // an independent reading of the formats: never the twin
  twin: { may: BASE }, // a device: never drivers/, images/ or schemes/
  firmware: { may: BASE }, // sample images, built for tests and the twin
  drivers: { may: [...ANY, 'twin'] }, // twin only from drivers/*/twin*: see TWIN_GATE
  rig: { may: [...ANY, 'drivers'] },
  schemes: { may: [...ANY, 'images', 'firmware'], typesOnly: ['drivers'] },
  scenario: { may: [...ANY, 'schemes', 'images', 'rig', 'drivers'] },
  report: { may: [...ANY, 'images'], typesOnly: ['scenario', 'rig', 'schemes'] }, // formats, never runs a rig
  // A lab worker runs suite jobs as hil run does and sign-off cells as hil signoff does (signoff/ never imports lab/).
  lab: { may: [...ANY, 'scenario', 'schemes', 'images', 'rig', 'drivers', 'report', 'signoff'] },
  // useRig() for Jest: runs cuts on a rig; from report/ only the pure formatting (repro line, cut summary) and the lifeline's type.
  testing: { may: [...ANY, 'scenario', 'schemes', 'rig', 'report'], typesOnly: ['drivers'] },
  doctor: { may: [...ANY, 'rig', 'drivers'] },
  nightly: { may: [...ANY, 'report'] }, // history, what changed, the gate: results in, files out; never runs a rig
  signoff: { may: [...ANY, 'scenario', 'schemes', 'images', 'rig', 'drivers', 'report'] }, // hil signoff: runs the matrix's cuts and sweeps, renders with report/
  cli: { may: [...ANY, 'lab', 'testing', 'report', 'nightly', 'signoff', 'scenario', 'schemes', 'images', 'rig', 'drivers', 'doctor', 'firmware'] },
  '(root)': { may: [...ANY, 'lab', 'testing', 'report', 'scenario', 'schemes', 'images', 'rig', 'drivers'] }, // public entry points
};

/** Only the twin drivers (drivers/<kind>/twin*) may reach into the twin. */
const TWIN_GATE = /^drivers\/[^/]+\/twin[^/]*$/;

/**
 * Known violations, each removed by a named item of issue 9. An entry matches an edge whose importer
 * starts with `from` and whose target is in folder `to`; an entry that matches nothing fails the test,
 * so whoever fixes a violation must delete its line here.
 */
const ALLOWED_FOR_NOW: { from: string; to: string; why: string }[] = [];

export interface Edge {
  /** Importer, relative to src/. */
  from: string;
  /** Imported file, relative to src/ (the `.js` of the specifier as written). */
  to: string;
  typeOnly: boolean;
}

// The clause between `import`/`export` and `from` is a default name, `* as x`, `*`, or `{ ... }`
// (possibly after a default name); keeping it that narrow stops a match from running across code.
const CLAUSE = String.raw`(\*(?:\s+as\s+[\w$]+)?|\{[^}]*\}|[\w$]+(?:\s*,\s*(?:\{[^}]*\}|\*\s*as\s+[\w$]+))?)`;
const IMPORT_RE = new RegExp(
  String.raw`(?:^|[\n;])\s*(import|export)\s+(type\s+)?` +
    CLAUSE +
    String.raw`\s*from\s*['"]([^'"]+)['"]` +
    String.raw`|(?:^|[\n;])\s*import\s*['"]([^'"]+)['"]` +
    String.raw`|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)`,
  'g',
);

/** The relative imports of one source text (whole-line comments stripped so examples in them do not count). */
export function importsOf(file: string, text: string): Edge[] {
  // Only comments that start a line: a `/*` inside a string (a glob like 'src/**/*.ts') must not eat code.
  const code = text.replace(/^\s*\/\*[\s\S]*?\*\//gm, '').replace(/^\s*\/\/.*$/gm, '');
  const edges: Edge[] = [];
  for (const m of code.matchAll(IMPORT_RE)) {
    const spec = m[4] ?? m[5] ?? m[6];
    if (!spec?.startsWith('.')) continue;
    const clause = m[3] ?? '';
    // `import { type A, type B } from` is erased like `import type`; one value specifier makes it real.
    const braces = /^\{([\s\S]*)\}$/.exec(clause.trim());
    const allTypeSpecifiers =
      braces !== null &&
      braces[1]!
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .every((s) => s.startsWith('type '));
    edges.push({
      from: file,
      to: relative(SRC, resolve(SRC, dirname(file), spec))
        .split('\\')
        .join('/'),
      typeOnly: m[2] !== undefined || (m[1] !== undefined && allTypeSpecifiers),
    });
  }
  return edges;
}

/** A scheme's pure metadata, which config may import: schemes/meta*.ts or schemes/<name>/meta*.ts. */
const SCHEME_META = /^schemes\/([^/]+\/)?meta[^/]*$/;

export function layerOf(path: string): string {
  if (SCHEME_META.test(path)) return 'schemes-meta';
  return path.includes('/') ? path.slice(0, path.indexOf('/')) : '(root)';
}

/** Why an edge breaks the table, or undefined when it is allowed. */
export function violation(e: Edge): string | undefined {
  const a = layerOf(e.from);
  const b = layerOf(e.to);
  if (a === b) return undefined;
  if (b === '..') return `${e.to} resolves outside src/`;
  const rule = RULES[a];
  if (!rule) return `${a}/ is not in the layering table: add a row to RULES in test/layering.test.ts`;
  if (b === 'twin' && !TWIN_GATE.test(e.from)) return `only drivers/*/twin* may import twin/`;
  if (rule.may.includes(b)) return undefined;
  if (rule.typesOnly?.includes(b)) return e.typeOnly ? undefined : `${a}/ may import only types from ${b}/`;
  return `${a}/ must not import ${b}/`;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(p);
    return /\.(ts|mts|js|mjs)$/.test(d.name) && !d.name.endsWith('.d.ts') ? [p] : [];
  });
}

function allEdges(): Edge[] {
  return sourceFiles(SRC).flatMap((p) => importsOf(relative(SRC, p).split('\\').join('/'), readFileSync(p, 'utf8')));
}

const allowedBy = (e: Edge) => ALLOWED_FOR_NOW.find((a) => e.from.startsWith(a.from) && layerOf(e.to) === a.to);

describe('layering of src/ (DESIGN.md dependency direction)', () => {
  const edges = allEdges();

  it('finds the imports it is meant to check (the walker is not blind)', () => {
    // cli -> report and drivers -> twin exist today; if the parser broke, every check below would pass vacuously.
    expect(edges.length).toBeGreaterThan(200);
    expect(edges.some((e) => layerOf(e.from) === 'cli' && layerOf(e.to) === 'report')).toBe(true);
    expect(edges.some((e) => layerOf(e.from) === 'drivers' && layerOf(e.to) === 'twin')).toBe(true);
  });

  it('has no forbidden edge outside the temporary allowlist', () => {
    const bad = edges
      .map((e) => ({ e, why: violation(e) }))
      .filter((x) => x.why !== undefined && !allowedBy(x.e))
      .map((x) => `${x.e.from} -> ${x.e.to}${x.e.typeOnly ? ' (type)' : ''}: ${x.why}`);
    expect(bad).toEqual([]);
  });

  it('keeps the allowlist true: every allowlisted edge still exists and is still a violation', () => {
    const stale = ALLOWED_FOR_NOW.filter((a) => !edges.some((e) => violation(e) !== undefined && allowedBy(e) === a)).map(
      (a) => `${a.from} -> ${a.to}/ is gone: delete it from ALLOWED_FOR_NOW (${a.why})`,
    );
    expect(stale).toEqual([]);
  });

  it('twin/ imports nothing from drivers/ (ByteLink lives in core/)', () => {
    expect(edges.filter((e) => layerOf(e.from) === 'twin' && layerOf(e.to) === 'drivers')).toEqual([]);
  });
});

describe('the layering checker itself', () => {
  const edge = (from: string, to: string, typeOnly = false): Edge => ({ from, to, typeOnly });

  it('flags the forbidden directions of DESIGN.md', () => {
    expect(violation(edge('twin/transport/in-process.ts', 'drivers/console/byte-link.js'))).toMatch(/twin\/ must not import drivers/);
    expect(violation(edge('images/index.ts', 'twin/device.js', true))).toMatch(/only drivers\/\*\/twin\*/);
    expect(violation(edge('twin/sfu/device.ts', 'images/sfu-inspect.js'))).toMatch(/must not import images/);
    expect(violation(edge('schemes/sfu/index.ts', 'twin/sfu/device.js'))).toMatch(/only drivers/);
    expect(violation(edge('drivers/updater/probe/index.ts', 'firmware/mcuboot-image.js'))).toMatch(/must not import firmware/);
    expect(violation(edge('core/clock.ts', 'config/index.js'))).toMatch(/core\/ must not import config/);
    expect(violation(edge('config/load.ts', 'rig/rig.js'))).toMatch(/config\/ must not import rig/);
    expect(violation(edge('config/vocabulary.ts', 'schemes/registry.js'))).toMatch(/config\/ must not import schemes/);
    expect(violation(edge('schemes/sfu-ab/meta.ts', 'images/index.js'))).toMatch(/schemes-meta\/ must not import images/);
    expect(violation(edge('rig/rig.ts', 'scenario/cut.js'))).toMatch(/must not import scenario/);
    expect(violation(edge('cli/main.ts', 'twin/device.js'))).toMatch(/only drivers/);
    expect(violation(edge('drivers/console/console.ts', 'twin/device.js', true))).toMatch(/only drivers/);
    expect(violation(edge('newlayer/x.ts', 'core/clock.js'))).toMatch(/not in the layering table/);
  });

  it('lets report/ import types, never values, from scenario/ and rig/', () => {
    expect(violation(edge('report/cut-summary.ts', 'scenario/cut.js', true))).toBeUndefined();
    expect(violation(edge('report/jest-suite.ts', 'scenario/cut.js'))).toMatch(/only types from scenario/);
    expect(violation(edge('report/jest-suite.ts', 'rig/open-rig.js'))).toMatch(/only types from rig/);
  });

  it('allows the downward edges and the twin drivers', () => {
    expect(violation(edge('cli/commands/run.ts', 'report/campaign.js'))).toBeUndefined();
    expect(violation(edge('scenario/cut.ts', 'rig/rig.js'))).toBeUndefined();
    expect(violation(edge('drivers/device/twin.ts', 'twin/sfu/device.js'))).toBeUndefined();
    expect(violation(edge('drivers/console/twin-link.ts', 'twin/transport/pty.js'))).toBeUndefined();
    expect(violation(edge('twin/transport/in-process.ts', 'core/byte-link.js'))).toBeUndefined();
    expect(violation(edge('config/vocabulary.ts', 'schemes/sfu-ab/meta.js'))).toBeUndefined();
  });

  it('parses static, re-export, side-effect, dynamic and type-only imports', () => {
    const text = [
      "import { a } from '../core/clock.js';",
      "import type { B } from '../rig/rig.js';",
      "import { type C, type D } from '../scenario/cut.js';",
      "import { type E, f } from '../scenario/suite-run.js';",
      "export { g } from './sibling.js';",
      "export * from '../images/index.js';",
      "import '../config/index.js';",
      "const m = await import('../rig/open-rig.js');",
      "import { z } from 'zod';",
      "// import { no } from '../twin/device.js';",
      '/* import { no2 } from "../twin/device.js"; */',
    ].join('\n');
    expect(importsOf('report/x.ts', text)).toEqual([
      edge('report/x.ts', 'core/clock.js'),
      edge('report/x.ts', 'rig/rig.js', true),
      edge('report/x.ts', 'scenario/cut.js', true),
      edge('report/x.ts', 'scenario/suite-run.js'),
      edge('report/x.ts', 'report/sibling.js'),
      edge('report/x.ts', 'images/index.js'),
      edge('report/x.ts', 'config/index.js'),
      edge('report/x.ts', 'rig/open-rig.js'),
    ]);
  });
});
