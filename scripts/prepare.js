// `prepare` (run by `npm ci` / `npm install` in a clone): compile src/ to dist/. Without
// typescript (`npm ci --omit=dev`) there is nothing to compile with: an existing dist/ is kept,
// and a missing one is reported here and again by bin/hil.js, instead of failing the install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

// Only the package files so far (the Dockerfile installs dependencies before copying src/ for a
// cacheable layer): nothing to compile yet; `npm run build` follows.
if (!existsSync(new URL('../tsconfig.build.json', import.meta.url)) || !existsSync(new URL('../src', import.meta.url))) process.exit(0);

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  if (!existsSync(new URL('../dist/cli/main.js', import.meta.url))) {
    process.stderr.write('hilrig: typescript is not installed (--omit=dev?), so dist/ was not built; `hil` needs it: run a full `npm ci` (or `npm run build`) first, then `npm prune --omit=dev`\n');
  }
  process.exit(0);
}
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit', cwd: new URL('..', import.meta.url) });
// tsc emits JavaScript despite type errors: those are for `npm test` (tsc --noEmit) to fail on,
// not a reason to leave an install without a CLI. No JavaScript at all is.
if (r.status !== 0 && existsSync(new URL('../dist/cli/main.js', import.meta.url))) {
  process.stderr.write('hilrig: dist/ was built, but with type errors (above)\n');
  process.exit(0);
}
process.exit(r.status ?? 1);
