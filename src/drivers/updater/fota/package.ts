import { createHash } from 'node:crypto';
import { productMembers } from '../../../core/ustar.js';
import type { OfferedMember } from './protocol.js';

/** An update as the chunk server holds it: the tar's members, named by the tar's hash. */
export interface FotaPackage {
  /** First 8 hex digits of the tar's SHA-256: how the device names the package. */
  id: string;
  members: (OfferedMember & { data: Buffer })[];
  /** Sum of the members' sizes: what progress counts towards. */
  total: number;
}

/** The tar as a package; an Error saying why when it is not a product tar. */
export function fotaPackage(tar: Buffer): FotaPackage {
  const files = productMembers(tar);
  const members = Object.entries(files).map(([name, data]) => ({ name, size: data.length, sha256: createHash('sha256').update(data).digest('hex'), data }));
  const empty = members.find((m) => m.size === 0);
  if (empty) throw new Error(`member ${empty.name} is empty`);
  return { id: createHash('sha256').update(tar).digest('hex').slice(0, 8), members, total: members.reduce((n, m) => n + m.size, 0) };
}
