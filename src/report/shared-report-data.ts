import { readFileSync, writeFileSync } from 'node:fs';

/** Embedded files smaller than this are left as they are (a reference saves little). */
const MIN_SHARED_CHARS = 4096;

/** A JSON value with object keys and array items in one order: equal iff the same data, however listed. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).sort().join(',')}]`;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function sameData(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  try {
    return canonical(JSON.parse(Buffer.from(a, 'base64').toString('utf8'))) === canonical(JSON.parse(Buffer.from(b, 'base64').toString('utf8')));
  } catch {
    return false;
  }
}

/**
 * Allure 3's single-file report embeds every data file as `d("name","<base64>")` in one script,
 * and with one environment writes the all-environments widgets twice: `widgets/search-index.json`
 * and `widgets/tree.json` again as `widgets/default/…`, the same entries in another order (about
 * 0.9 MB of the default campaign's 10.5 MB report). The environment's copy becomes a reference to
 * the first: `d()` stores each value synchronously as the array of calls is built, in order, so
 * the first copy is in `window.allureReportData` when the reference is read (the page lists the
 * tree in its own sort order either way). Returns the characters saved.
 */
export function shareDuplicateData(file: string): number {
  const html = readFileSync(file, 'utf8');
  const seen = new Map<string, string>();
  let saved = 0;
  const out = html.replace(/\bd\("([^"\\]+)","([A-Za-z0-9+/=]*)"\)/g, (call, name: string, value: string) => {
    if (value.length < MIN_SHARED_CHARS) return call;
    const twin = /^widgets\/default\/(.+)$/.exec(name)?.[1];
    const other = twin ? `widgets/${twin}` : /^widgets\/([^/]+)$/.test(name) ? name.replace(/^widgets\//, 'widgets/default/') : undefined;
    const earlier = other !== undefined ? seen.get(other) : undefined;
    if (other === undefined || earlier === undefined || !sameData(earlier, value)) {
      seen.set(name, value);
      return call;
    }
    const ref = `d(${JSON.stringify(name)},window.allureReportData[${JSON.stringify(other)}])`;
    saved += call.length - ref.length;
    return ref;
  });
  if (saved > 0) writeFileSync(file, out);
  return saved;
}
