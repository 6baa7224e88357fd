/**
 * The single-file Allure report's second copy of the all-environments widgets (widgets/default/…,
 * the same entries in another order) becomes a reference to the first: checked on the text, and in
 * a real headless Chromium that the page then reads the same data under both names.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shareDuplicateData } from '../../src/report/shared-report-data.js';
import { render } from '../helpers/browser.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
// Big enough to be worth a reference (≥ 4 KB of base64).
const entries = Array.from({ length: 200 }, (_, i) => ({ id: `id-${i}`, name: `cut ${i}: after:${i * 100}ms` }));
const tree = { root: { groups: entries.map((e) => e.id) }, leavesById: Object.fromEntries(entries.map((e) => [e.id, e])) };
const reordered = { leavesById: Object.fromEntries([...entries].reverse().map((e) => [e.id, e])), root: { groups: [...entries].reverse().map((e) => e.id) } };

function page(calls: [string, string][]): string {
  return `<!doctype html><html><head><title>r</title></head><body><div id="out"></div><script>
window.allureReportData = {};
function d(name, value) { return new Promise(function (resolve) { window.allureReportData[name] = value; resolve(true); }); }
</script><script>
Promise.allSettled([${calls.map(([k, v]) => `d(${JSON.stringify(k)},${JSON.stringify(v)})`).join(',')}]).then(function () {
  var data = window.allureReportData, out = document.getElementById('out');
  Object.keys(data).sort().forEach(function (k) {
    var p = document.createElement('p'); p.className = 'entry'; p.id = k.replace(/[^a-z]/g, '-');
    p.textContent = k + ' ' + JSON.parse(atob(data[k])).root.groups.length + ' ' + JSON.parse(atob(data[k])).leavesById['id-7'].name;
    out.appendChild(p);
  });
});
</script></body></html>`;
}

function write(html: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'hil-shared-data-')), 'index.html');
  writeFileSync(file, html);
  return file;
}

describe('shareDuplicateData: one copy of the all-environments widgets', () => {
  it('replaces the default environment copy of the same data (another order) by a reference, and leaves the rest', () => {
    const file = write(
      page([
        ['widgets/tree.json', b64(tree)],
        ['widgets/default/tree.json', b64(reordered)],
        ['widgets/search-index.json', b64(entries)],
        ['widgets/default/search-index.json', b64([...entries.slice(1), { id: 'other', name: 'not the same data' }])],
        ['widgets/statistic.json', b64({ total: 2 })],
        ['widgets/default/statistic.json', b64({ total: 2 })],
      ]),
    );
    const before = readFileSync(file, 'utf8');
    const saved = shareDuplicateData(file);
    const after = readFileSync(file, 'utf8');
    expect(saved).toBeGreaterThan(b64(reordered).length - 100);
    expect(after).toContain('d("widgets/default/tree.json",window.allureReportData["widgets/tree.json"])');
    // Different data, and a copy too small to matter, stay as written.
    expect(after).toContain(`d("widgets/default/search-index.json","${b64([...entries.slice(1), { id: 'other', name: 'not the same data' }])}")`);
    expect(after).toContain(`d("widgets/default/statistic.json","${b64({ total: 2 })}")`);
    expect(before.length - after.length).toBe(saved);
    // Nothing left to share: the file is not written again.
    expect(shareDuplicateData(file)).toBe(0);
  });

  it('a real Chromium reads the same data under both names after the rewrite', async () => {
    const file = write(
      page([
        ['widgets/tree.json', b64(tree)],
        ['widgets/default/tree.json', b64(reordered)],
      ]),
    );
    expect(shareDuplicateData(file)).toBeGreaterThan(0);
    const shown = await render(file, { select: { entry: 'p.entry' }, waitFor: 'p.entry' });
    expect(shown.errors).toEqual([]);
    expect(shown.found.entry!.map((e) => e.text)).toEqual(['widgets/default/tree.json 200 cut 7: after:700ms', 'widgets/tree.json 200 cut 7: after:700ms']);
  });
});
