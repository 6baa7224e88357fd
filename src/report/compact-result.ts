/**
 * Trims what allure-jest writes into every result and Allure 3 then repeats several times per
 * test in its single-file report (the result, the search index, the tree): the generated test
 * file's path (in `fullName`, the `package` label and `titlePath`, and it holds the run folder, so
 * it also changed on every run) and labels that describe Jest rather than the rig (language,
 * framework, worker thread), and each image's sha256 parameter shortened. On the default campaign
 * the path and labels were a tenth of the HTML report (11.6 → 10.6 MB). The tree groups by the suite labels, history by hil's own ids: neither needs them.
 */
const JEST_LABELS = new Set(['package', 'language', 'framework', 'thread']);

export interface CompactableResult {
  fullName?: string;
  titlePath?: string[];
  labels?: { name: string; value: string }[];
  parameters?: { name: string; value: string }[];
}

/** An image's sha256 as a test's parameter: 16 hex digits tell images apart; the whole one is in repro.json and the run's environment. */
const SHA_PARAMETER = /^image \S+ sha256$/;
const SHA_SHOWN = 16;

/** True when it changed something. */
export function compactResult(result: CompactableResult): boolean {
  let changed = false;
  if (result.labels?.some((l) => JEST_LABELS.has(l.name))) {
    result.labels = result.labels.filter((l) => !JEST_LABELS.has(l.name));
    changed = true;
  }
  // allure-jest's `hilrig:<test file>#<describe> <test>`: the part after the file names the test.
  const hash = result.fullName?.indexOf('.test.mjs#') ?? -1;
  if (result.fullName && hash >= 0) {
    result.fullName = result.fullName.slice(hash + '.test.mjs#'.length);
    changed = true;
  }
  for (const p of result.parameters ?? []) {
    if (SHA_PARAMETER.test(p.name) && /^[0-9a-f]{64}$/.test(p.value)) {
      p.value = `${p.value.slice(0, SHA_SHOWN)}…`;
      changed = true;
    }
  }
  if (result.titlePath?.length) {
    delete result.titlePath;
    changed = true;
  }
  return changed;
}
