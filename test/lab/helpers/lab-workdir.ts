/**
 * A lab Pi's working directory for tests: suites/ with one small suite per scheme of the lab's
 * twin rigs (rigs/lab/*.yaml) and campaigns/nightly.yaml listing them, so a nightly over the
 * dozen rigs costs two cuts per rig. Images are the package's firmware/ samples, by absolute path.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const HIL = join(ROOT, 'bin/hil.js');
export const LAB_RIGS = join(ROOT, 'rigs/lab');

const FW = join(ROOT, 'firmware');

const SUITES: Record<string, string> = {
  'lab-sfu': `name: lab-sfu
scheme: sfu-ab
images: { from: ${FW}/app-v1.page2bin, to: ${FW}/app-v2.page2bin }
cuts:
  offMs: 200
  sweeps:
    - { trigger: progress, from: 20%, to: 80%, count: 2 }
expect: { safe: [updated, rolled-back], bootLoopCycles: 1 }
`,
  'lab-stm32': `name: lab-stm32
scheme: stm32-dualbank
images: { from: ${FW}/stm32-app-v1.bin, to: ${FW}/stm32-app-v2.bin }
cuts:
  offMs: 200
  sweeps:
    - { trigger: progress, from: 20%, to: 80%, count: 2 }
expect: { safe: [updated, rolled-back], bootLoopCycles: 1 }
`,
  'lab-mcuboot': `name: lab-mcuboot
scheme: mcuboot-swap
setup: test
images: { from: ${FW}/mcuboot-app-v1.signed.bin, to: ${FW}/mcuboot-app-v2.signed.bin }
cuts:
  offMs: 200
  points: [after:25s, after:8000ms]
expect: { safe: [updated, rolled-back], bootLoopCycles: 1 }
`,
};

export const NIGHTLY_SUITES = Object.keys(SUITES);

/** A fresh working directory: suites/, campaigns/nightly.yaml, reports/. */
export function makeLabWorkdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hilrig-labwd-'));
  mkdirSync(join(dir, 'suites'));
  mkdirSync(join(dir, 'campaigns'));
  for (const [name, text] of Object.entries(SUITES)) writeFileSync(join(dir, 'suites', `${name}.yaml`), text);
  writeFileSync(join(dir, 'campaigns', 'nightly.yaml'), `name: nightly\ndescription: "the lab's test nightly, two cuts per twin rig"\nsuites:\n${NIGHTLY_SUITES.map((s) => `  - ${s}\n`).join('')}`);
  return dir;
}
