/**
 * The FOTA protocol's lines on the host's console (common contract, README "product rigs"): what
 * the cloud sends and how the app parses it. Pure.
 */
import type { Member, MemberTarget } from './dfu-state.js';

export interface FotaBegin {
  pkg8: string;
  images: Record<Member, MemberTarget>;
}

/** `fota begin <pkg8> host:<size>:<sha256> radio:<size>:<sha256>` (members in any order), or a reason. */
export function parseBegin(line: string): FotaBegin | { error: string } | undefined {
  const m = /^fota begin (\S+)(.*)$/.exec(line);
  if (!m) return undefined;
  const pkg8 = m[1]!;
  if (!/^[0-9a-f]{8}$/.test(pkg8)) return { error: `bad-package-id ${pkg8}` };
  const images: Partial<Record<Member, MemberTarget>> = {};
  for (const part of m[2]!.trim().split(/\s+/).filter(Boolean)) {
    const p = /^(host|radio):(\d+):([0-9a-f]{64})$/.exec(part);
    if (!p) return { error: `bad-member ${part.slice(0, 40)}` };
    images[p[1] as Member] = { size: Number(p[2]), sha256: Buffer.from(p[3]!, 'hex') };
  }
  if (!images.host || !images.radio) return { error: 'members-missing (host and radio)' };
  return { pkg8, images: { host: images.host, radio: images.radio } };
}

/** `fota data <pkg8> <member> <offset> <base64>` for the chunk asked, or undefined. */
export function parseData(line: string, pkg8: string, member: Member, offset: number): Buffer | undefined {
  const m = /^fota data (\S+) (\S+) (\d+) (\S+)$/.exec(line);
  if (!m || m[1] !== pkg8 || m[2] !== member || Number(m[3]) !== offset) return undefined;
  return Buffer.from(m[4]!, 'base64');
}

export function isData(line: string): boolean {
  return line.startsWith('fota data ');
}
