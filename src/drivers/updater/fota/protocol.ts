/**
 * The FOTA text protocol on the host MCU's console (docs: README "Product rigs"): the rig is the
 * product's cloud. Pure: parsing what the device says and writing what the rig says, no I/O.
 *
 *   rig → device   `fota begin <pkg8> <member>:<size>:<sha256hex> ...`
 *   device → rig   `fota: accepted <pkg8>` | `fota: busy` | `fota: error <reason>`
 *   device → rig   `fota get <pkg8> <member> <offset> <len>`            (len ≤ 512)
 *   rig → device   `fota data <pkg8> <member> <offset> <base64>`
 *   device → rig   `fota: progress <member> <bytes>/<size>`
 *   device → rig   settled: `fota: idle|complete host=<v> ...`, `fota: failed <reason> host=<v> ...`
 */

/** The most a device may ask in one `fota get` (the twin's host app asks 500). */
export const MAX_CHUNK = 512;

export type DeviceLine =
  | { kind: 'get'; pkg: string; member: string; offset: number; length: number }
  | { kind: 'accepted'; pkg: string }
  | { kind: 'busy' }
  | { kind: 'error'; reason: string }
  | { kind: 'progress'; member: string; bytes: number; size: number }
  | { kind: 'settled'; state: 'idle' | 'complete' | 'failed'; reason?: string; versions: Record<string, string> }
  /** Starts like a fota line but is not one the protocol has: logged, never acted on. */
  | { kind: 'unreadable'; text: string };

const WORD = /^[0-9A-Za-z_.-]+$/;

function versionsOf(words: readonly string[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const w of words) {
    const m = /^([a-z][a-z0-9_-]*)=(\S+)$/.exec(w);
    if (!m) return undefined;
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** A console line → what it says in the protocol, or undefined when it is not a fota line at all. */
export function parseDeviceLine(text: string): DeviceLine | undefined {
  const line = text.trim();
  if (!/^fota(:|\s)/.test(line)) return undefined;
  const unreadable = { kind: 'unreadable', text: line } as const;
  const words = line.split(/\s+/);
  if (words[0] === 'fota' && words[1] === 'get') {
    const [, , pkg, member, offset, length] = words;
    if (words.length !== 6 || !/^[0-9a-f]{8}$/.test(pkg!) || !WORD.test(member!) || !/^\d{1,10}$/.test(offset!) || !/^\d{1,10}$/.test(length!)) return unreadable;
    return { kind: 'get', pkg: pkg!, member: member!, offset: Number(offset), length: Number(length) };
  }
  if (words[0] !== 'fota:') return words[0] === 'fota' && ['begin', 'data'].includes(words[1] ?? '') ? undefined : unreadable;
  const [, what, ...rest] = words;
  switch (what) {
    case 'accepted':
      return rest.length === 1 && /^[0-9a-f]{8}$/.test(rest[0]!) ? { kind: 'accepted', pkg: rest[0]! } : unreadable;
    case 'busy':
      return { kind: 'busy' };
    case 'error':
      return { kind: 'error', reason: rest.join(' ') || '(no reason given)' };
    case 'progress': {
      const m = rest.length === 2 ? /^(\d+)\/(\d+)$/.exec(rest[1]!) : null;
      return m ? { kind: 'progress', member: rest[0]!, bytes: Number(m[1]), size: Number(m[2]) } : unreadable;
    }
    case 'idle':
    case 'complete': {
      const versions = versionsOf(rest);
      return versions ? { kind: 'settled', state: what, versions } : unreadable;
    }
    case 'failed': {
      const split = rest.findIndex((w) => w.includes('='));
      const versions = versionsOf(split < 0 ? [] : rest.slice(split));
      const reason = (split < 0 ? rest : rest.slice(0, split)).join(' ');
      return versions ? { kind: 'settled', state: 'failed', reason: reason || '(no reason given)', versions } : unreadable;
    }
    default:
      return unreadable;
  }
}

export interface OfferedMember {
  name: string;
  size: number;
  sha256: string;
}

export function beginLine(pkg: string, members: readonly OfferedMember[]): string {
  return `fota begin ${pkg} ${members.map((m) => `${m.name}:${m.size}:${m.sha256}`).join(' ')}`;
}

export function dataLine(pkg: string, member: string, offset: number, bytes: Uint8Array): string {
  return `fota data ${pkg} ${member} ${offset} ${Buffer.from(bytes).toString('base64')}`;
}

/** `host=2.0.0 radio=1.0.0` as the settled lines print it. */
export function versionsText(versions: Record<string, string>): string {
  return Object.entries(versions)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
