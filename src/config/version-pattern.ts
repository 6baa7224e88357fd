/**
 * Version patterns of a suite's `compatible:` pairs (seed 000: the versions a product's processors
 * may run together): `*` (any), an exact version `2.0.0`, or a dotted prefix ending in `x` (`1.x`,
 * `2.0.x`). Pure: config validates with it, the verdict (src/scenario/version-set.ts) matches with it.
 */

export interface VersionPattern {
  /** As written (`2.x`), for messages and reports. */
  text: string;
  /** The numeric components before the `x`, or every component of an exact version. */
  prefix: readonly string[];
  /** `x` ends it: any version whose components start with `prefix`. `*` is a wildcard with no prefix. */
  wildcard: boolean;
}

const COMPONENT = /^(0|[1-9][0-9]{0,8})$/;
/** An exact version: numbers, and what may follow them (`2.0.0+3`, `1.0.0-rc1`). */
const EXACT = /^(0|[1-9][0-9]{0,8})(\.(0|[1-9][0-9]{0,8})){0,3}([+-][0-9A-Za-z.-]{1,24})?$/;

/** The pattern, or a message saying what is wrong with `text` (for `expected ...` errors). */
export function parseVersionPattern(text: string): VersionPattern | string {
  const t = text.trim();
  if (t === '*') return { text: t, prefix: [], wildcard: true };
  if (t === '') return 'an empty pattern';
  const parts = t.split('.');
  const last = parts[parts.length - 1]!;
  if (last === 'x' || last === 'X') {
    const prefix = parts.slice(0, -1);
    if (prefix.length === 0) return `"${t}" (write * for any version)`;
    if (!prefix.every((p) => COMPONENT.test(p))) return `"${t}" (only the last component may be x, the others are numbers)`;
    return { text: t, prefix, wildcard: true };
  }
  if (parts.slice(0, -1).some((p) => p === 'x' || p === 'X')) return `"${t}" (only the last component may be x, the others are numbers)`;
  if (!EXACT.test(t)) return `"${t}"`;
  return { text: t, prefix: [t], wildcard: false };
}

/** Whether `version` (as the image's app info block and banner say it) matches the pattern. */
export function versionMatches(pattern: VersionPattern, version: string | undefined): boolean {
  if (version === undefined) return false;
  if (!pattern.wildcard) return version === pattern.prefix[0];
  if (pattern.prefix.length === 0) return true;
  // `2.x` takes 2.0.0 and 2.10.3+1 but not 20.0.0: compare whole components.
  const parts = version.split(/[.+-]/);
  return pattern.prefix.every((p, i) => parts[i] === p);
}

/** One supported version set: a pattern per member, as the suite's `compatible[index]`. */
export interface CompatibleSet {
  index: number;
  members: Readonly<Record<string, VersionPattern>>;
  /** Each member's field path inside the entry (`radio` in a mapping, `1` in a list), for messages. */
  at: Readonly<Record<string, string | number>>;
}

/** `{ host: 2.x, radio: 1.x }`, as a report shows a supported set. */
export function formatCompatibleSet(set: CompatibleSet): string {
  return `{ ${Object.entries(set.members)
    .map(([m, p]) => `${m}: ${p.text}`)
    .join(', ')} }`;
}

/** The first supported set every member's version matches, or undefined: the pair is not supported. */
export function supportedBy(sets: readonly CompatibleSet[], versions: Readonly<Record<string, string | undefined>>): CompatibleSet | undefined {
  return sets.find((set) => Object.entries(set.members).every(([member, pattern]) => versionMatches(pattern, versions[member])));
}

/**
 * `hil cut --compatible` and a repro line: sets separated by `;`, members by `,`, each
 * `<member> <pattern>` (`host 1.x, radio 1.x; host 2.x, radio 2.x`). Throws an Error saying which
 * set and item is wrong.
 */
export function parseCompatibleText(text: string): CompatibleSet[] {
  const sets = text.split(';').map((s) => s.trim());
  if (sets.some((s) => s === '')) throw new Error(`expected sets such as "host 1.x, radio 1.x; host 2.x, radio 2.x", got ${JSON.stringify(text)}`);
  return sets.map((set, index) => {
    const members: Record<string, VersionPattern> = {};
    const at: Record<string, number> = {};
    set.split(',').forEach((item, i) => {
      const m = /^\s*([a-z][a-z0-9-]{0,31})\s+(\S+)\s*$/.exec(item);
      if (!m) throw new Error(`set ${index + 1}, item ${i + 1}: expected "<member> <pattern>" such as "host 2.x", got ${JSON.stringify(item.trim())}`);
      if (m[1]! in members) throw new Error(`set ${index + 1}: member ${m[1]} is named twice`);
      const pattern = parseVersionPattern(m[2]!);
      if (typeof pattern === 'string') throw new Error(`set ${index + 1}, ${m[1]}: expected a version pattern such as 2.x, 2.0.x, 2.0.0 or *, got ${pattern}`);
      members[m[1]!] = pattern;
      at[m[1]!] = i;
    });
    return { index, members, at };
  });
}

/** The sets as `hil cut --compatible` takes them. */
export function formatCompatibleText(sets: readonly CompatibleSet[]): string {
  return sets
    .map((set) =>
      Object.entries(set.members)
        .map(([m, p]) => `${m} ${p.text}`)
        .join(', '),
    )
    .join('; ');
}
