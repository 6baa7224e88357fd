/**
 * Issue 9 item 3: what `hil` needs at run time is in `dependencies`, so `npm ci --omit=dev`
 * (the Docker image, a Pi) can run it: every package dist/ imports, and what `hil run` starts
 * (Jest, the allure-jest environment, Allure for the HTML). The generated campaign tests are
 * plain JavaScript run with no transform, so no @swc/* and no tsx.
 */
import { describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { CAMPAIGN_MODULES } from '../../src/report/campaign.js';
import { ROOT } from './hil.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => join(e.parentPath, e.name));
}

/** `react` from 'react/x', '@a/b' from '@a/b/c'. */
const packageOf = (spec: string) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

describe('run-time dependencies', () => {
  test('every package the compiled CLI imports is a dependency, not a devDependency', () => {
    const imported = new Set<string>();
    for (const f of jsFiles(join(ROOT, 'dist'))) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
        const spec = m[1] ?? m[2]!;
        if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        imported.add(packageOf(spec));
      }
    }
    expect(imported.size).toBeGreaterThan(3); // the scan does find imports (execa, yaml, zod …)
    const missing = [...imported].filter((p) => !(p in pkg.dependencies)).sort();
    expect(missing).toEqual([]);
  });

  test("hil run's own needs are dependencies: jest, allure-jest, allure (HTML); no TypeScript tooling", () => {
    for (const p of ['jest', 'allure-jest', 'allure-js-commons', 'allure']) expect(pkg.dependencies).toHaveProperty([p]);
    for (const p of ['tsx', 'typescript', '@swc/jest', '@swc/core']) expect(pkg.dependencies).not.toHaveProperty([p]);
    const campaign = readFileSync(join(ROOT, 'src/report/campaign.ts'), 'utf8');
    expect(campaign).not.toMatch(/@swc|tsx/);
    expect(campaign).toContain('transform: {}');
  });

  test('what hil run hands to Jest exists, compiled from a source file (a moved module must move here too)', () => {
    for (const file of Object.values(CAMPAIGN_MODULES)) {
      expect(existsSync(file)).toBe(true);
      expect(existsSync(file.replace(`${ROOT}/dist/`, `${ROOT}/src/`).replace(/\.js$/, '.ts'))).toBe(true);
    }
  });
});
