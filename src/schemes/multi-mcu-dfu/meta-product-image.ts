/**
 * A product update (seed 000) is one ustar tar a lab builds with plain `tar cf`: one signed MCUboot
 * image per member, named `<member>.<anything>` (the member is the entry's basename up to its
 * first '.'). This reads it into each member's image and the product version string. Pure (core/,
 * protocols/ and targets/ only): config checks a suite's images with it before any run.
 */
import { createHash } from 'node:crypto';
import { memberOfEntry, readUstar } from '../../core/ustar.js';
import { readMcubootImage } from '../../protocols/mcuboot/header.js';
import { PRODUCT_MEMBERS } from '../../targets/nrf91-nrf52-product.js';
import { ImageProblem, type ImageReading } from '../meta-image.js';

type MemberReading = NonNullable<ImageReading['members']>[string];

/** MCUboot's slot trailer at BOOT_MAX_ALIGN 8, word writes, 128 sectors (both members' build): an image must end before it. */
const TRAILER_SIZE = 128 * 3 * 4 + 4 * 8 + 16;

const MEMBER_NAMES = PRODUCT_MEMBERS.map((m) => m.name);

/** One member's bytes as a signed MCUboot image that fits its secondary slot. */
function readMember(member: (typeof PRODUCT_MEMBERS)[number], entry: string, data: Buffer): MemberReading {
  const slotSize = member.slots.secondary.size;
  const where = `member ${member.name} (${entry})`;
  if (data.length === 0) throw new ImageProblem(`${where} is empty`);
  if (data.length > slotSize) throw new ImageProblem(`${where} is ${data.length} bytes, larger than the ${member.name} slot (${slotSize} bytes)`);
  // An `imgtool --pad` image fills the slot and carries its own trailer; any other must end before the trailer.
  const limit = data.length === slotSize ? slotSize - TRAILER_SIZE : data.length;
  const facts = readMcubootImage(data, limit);
  if (!facts.header || facts.hdrSize === undefined || facts.imgSize === undefined) {
    throw new ImageProblem(`${where} is not a signed MCUboot image (${facts.problems.join('; ') || 'no image header'})`);
  }
  if (facts.totalSize === undefined || facts.totalSize > slotSize - TRAILER_SIZE) {
    const size = facts.hdrSize + facts.imgSize;
    if (size > slotSize - TRAILER_SIZE) throw new ImageProblem(`${where}: its image (${size}+ bytes) does not fit the ${member.name} slot (${slotSize} bytes less its ${TRAILER_SIZE}-byte trailer)`);
    throw new ImageProblem(`${where} is not a signed MCUboot image (${facts.problems.join('; ')})`);
  }
  if (!facts.valid) throw new ImageProblem(`${where} is not a valid signed MCUboot image (${facts.problems.join('; ') || 'SHA-256 TLV missing or wrong'})`);
  const v = /^(\d+\.\d+\.\d+)/.exec(facts.version ?? '');
  return {
    ...(v && { version: v[1] }),
    sha256: createHash('sha256').update(data).digest('hex'),
    size: data.length,
    image: data,
  };
}

/** The tar's members (every one of the scheme's members, none else), each a signed MCUboot image. */
export function readProductImage(stream: Buffer): ImageReading {
  let entries: { name: string; data: Buffer }[];
  try {
    entries = readUstar(stream);
  } catch (error) {
    throw new ImageProblem(`not a product update (a ustar tar of ${MEMBER_NAMES.map((m) => `${m}.signed.bin`).join(', ')}): ${(error as Error).message}`);
  }
  const found = new Map<string, { entry: string; data: Buffer }>();
  for (const e of entries) {
    const member = memberOfEntry(e.name);
    if (!MEMBER_NAMES.includes(member as (typeof MEMBER_NAMES)[number])) {
      throw new ImageProblem(`tar entry ${e.name}: ${JSON.stringify(member)} is not a member of this product (members: ${MEMBER_NAMES.join(', ')})`);
    }
    const before = found.get(member);
    if (before) throw new ImageProblem(`tar entries ${before.entry} and ${e.name} are both member ${member}`);
    found.set(member, { entry: e.name, data: e.data });
  }
  const missing = MEMBER_NAMES.filter((m) => !found.has(m));
  if (missing.length > 0) {
    throw new ImageProblem(
      `the tar has no ${missing.map((m) => `${m}`).join(' or ')} member (entries: ${entries.map((e) => e.name).join(', ') || 'none'}; expected ${MEMBER_NAMES.map((m) => `${m}.signed.bin`).join(', ')})`,
    );
  }
  const members: Record<string, MemberReading> = {};
  const slotImage: Record<string, Buffer> = {};
  for (const m of PRODUCT_MEMBERS) {
    const f = found.get(m.name)!;
    const r = readMember(m, f.entry, f.data);
    members[m.name] = r;
    slotImage[`${m.name}:primary`] = r.image;
    slotImage[`${m.name}:secondary`] = r.image;
  }
  const version = PRODUCT_MEMBERS.map((m) => `${m.name}=${members[m.name]!.version ?? '?'}`).join(',');
  return { version, slotImage, members };
}
