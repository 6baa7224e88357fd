/**
 * Host-side reading of an MCUboot image at the start of a slot (reference/bootloader-formats-and-faults.md
 * §2.1–2.2): header, TLV walk, SHA-256 check. Never throws on the slot's bytes: every defect is
 * a problem sentence.
 */
import { createHash } from 'node:crypto';
import { hex, hex32 } from '../../core/hex.js';

export const IMAGE_MAGIC = 0x96f3b83d;
export const IMAGE_MAGIC_V1 = 0x96f3b83c;
const TLV_INFO_MAGIC = 0x6907;
const TLV_PROT_INFO_MAGIC = 0x6908;
const TLV_SHA256 = 0x10;

export interface McubootImageFacts {
  /** A header magic is there (V2). */
  header: boolean;
  hdrSize?: number;
  imgSize?: number;
  protectTlvSize?: number;
  flags?: number;
  version?: string;
  /** Header + payload + every TLV block, when the TLV area could be read. */
  totalSize?: number;
  /** Types of the unprotected TLVs, in order. */
  tlvTypes: number[];
  /** SHA-256 TLV present and equal to the hash of header + payload + protected TLVs. */
  hashOk: boolean;
  /** Header, TLV area and hash all good. */
  valid: boolean;
  problems: string[];
}

/**
 * Reads the image at offset 0 of `slot`. `limit` is where the image must end at the latest
 * (slot size minus the trailer).
 */
export function readMcubootImage(slot: Buffer, limit: number): McubootImageFacts {
  const facts: McubootImageFacts = { header: false, tlvTypes: [], hashOk: false, valid: false, problems: [] };
  const p = facts.problems;
  if (slot.length < 32) {
    p.push(`slot is only ${slot.length} bytes, too short for an image header`);
    return facts;
  }
  const magic = slot.readUInt32LE(0);
  if (magic !== IMAGE_MAGIC) {
    if (magic === IMAGE_MAGIC_V1) p.push('legacy V1 image magic 0x96F3B83C (not bootable by this MCUboot)');
    else if (magic !== 0xffffffff) p.push(`no image header: magic is ${hex32(magic)}, expected ${hex32(IMAGE_MAGIC)}`);
    return facts;
  }
  facts.header = true;
  const hdrSize = (facts.hdrSize = slot.readUInt16LE(8));
  const protectTlvSize = (facts.protectTlvSize = slot.readUInt16LE(10));
  const imgSize = (facts.imgSize = slot.readUInt32LE(12));
  facts.flags = slot.readUInt32LE(16);
  facts.version = `${slot[20]}.${slot[21]}.${slot.readUInt16LE(22)}+${slot.readUInt32LE(24)}`;
  if (hdrSize < 32) {
    p.push(`ih_hdr_size ${hex(hdrSize, { width: 4 })} is smaller than the 32-byte header`);
    return facts;
  }
  const tlvOff = hdrSize + imgSize;
  if (tlvOff + protectTlvSize + 4 > limit) {
    p.push(`image (header ${hex(hdrSize, { width: 4 })} + payload ${imgSize} bytes + TLVs) extends beyond the slot's image area of ${limit} bytes`);
    return facts;
  }
  let off = tlvOff;
  if (protectTlvSize > 0) {
    const m = slot.readUInt16LE(off);
    const tot = slot.readUInt16LE(off + 2);
    if (m !== TLV_PROT_INFO_MAGIC || tot !== protectTlvSize) {
      p.push(`protected TLV info at ${hex32(off)} is {${hex(m, { width: 4 })}, ${tot}}, expected {0x6908, ${protectTlvSize}}`);
      return facts;
    }
    off += protectTlvSize;
  }
  const m = slot.readUInt16LE(off);
  const tot = slot.readUInt16LE(off + 2);
  if (m !== TLV_INFO_MAGIC) {
    p.push(`no TLV area at ${hex32(off)}: magic ${hex(m, { width: 4 })}, expected 0x6907`);
    return facts;
  }
  if (tot < 4 || off + tot > limit) {
    p.push(`TLV area at ${hex32(off)} claims ${tot} bytes, ${tot < 4 ? 'less than its own header' : 'beyond the slot image area'}`);
    return facts;
  }
  facts.totalSize = off + tot;
  let hash: Buffer | undefined;
  for (let at = off + 4; at < off + tot;) {
    if (at + 4 > off + tot) {
      p.push(`TLV area at ${hex32(off)} ends inside a TLV header`);
      return facts;
    }
    const type = slot.readUInt16LE(at);
    const len = slot.readUInt16LE(at + 2);
    if (at + 4 + len > off + tot) {
      p.push(`TLV type ${hex(type, { width: 2 })} at ${hex32(at)} is ${len} bytes long, past the end of the TLV area`);
      return facts;
    }
    facts.tlvTypes.push(type);
    if (type === TLV_SHA256) {
      if (len === 32) hash = slot.subarray(at + 4, at + 36);
      else p.push(`SHA-256 TLV is ${len} bytes, expected 32`);
    }
    at += 4 + len;
  }
  if (!hash) {
    p.push('no SHA-256 TLV');
    return facts;
  }
  const actual = createHash('sha256')
    .update(slot.subarray(0, tlvOff + protectTlvSize))
    .digest();
  facts.hashOk = actual.equals(hash);
  if (!facts.hashOk) p.push(`SHA-256 mismatch: TLV says ${hash.toString('hex').slice(0, 16)}…, the image hashes to ${actual.toString('hex').slice(0, 16)}…`);
  facts.valid = facts.hashOk;
  return facts;
}
