/**
 * MCUboot's image validation as the twin's bootloader does it (bootutil_img_validate with a
 * SHA-256 TLV and no key): header magic, a TLV area inside the slot, the hash over header +
 * payload + protected TLVs. Reads the area's part as it is now.
 */
import type { FlashArea } from './flash-area.js';
import { trailerSize } from './trailer.js';

const IMAGE_MAGIC = 0x96f3b83d;
const TLV_INFO = 0x6907;
const TLV_PROT_INFO = 0x6908;
const TLV_SHA256 = 0x10;

export interface ImageHeader {
  hdrSize: number;
  imgSize: number;
  protectTlvSize: number;
}

export function readHeader(area: FlashArea): ImageHeader | undefined {
  const h = area.flash.read(area.base, 32);
  if (h.readUInt32LE(0) !== IMAGE_MAGIC) return undefined;
  return { hdrSize: h.readUInt16LE(8), protectTlvSize: h.readUInt16LE(10), imgSize: h.readUInt32LE(12) };
}

/** The header's version, major.minor.revision (+build when non-zero); undefined without an image header. */
export function headerVersion(area: FlashArea): string | undefined {
  const h = area.flash.read(area.base, 32);
  if (h.readUInt32LE(0) !== IMAGE_MAGIC) return undefined;
  const build = h.readUInt32LE(24);
  return `${h[20]}.${h[21]}.${h.readUInt16LE(22)}${build ? `+${build}` : ''}`;
}

export type ImageCheck = { ok: true; totalSize: number; hashedSize: number } | { ok: false; reason: string; totalSize?: number };

/** Header + payload + TLVs, or a reason. Never reads outside the slot. */
export function checkImage(area: FlashArea): ImageCheck {
  const flash = area.flash;
  const hdr = readHeader(area);
  if (!hdr) return { ok: false, reason: 'bad image magic' };
  const limit = area.size - trailerSize(area);
  const tlvOff = hdr.hdrSize + hdr.imgSize;
  if (hdr.hdrSize < 32 || tlvOff + hdr.protectTlvSize + 4 > limit) return { ok: false, reason: 'image does not fit the slot' };
  let off = tlvOff;
  if (hdr.protectTlvSize > 0) {
    const p = flash.read(area.base + off, 4);
    if (p.readUInt16LE(0) !== TLV_PROT_INFO || p.readUInt16LE(2) !== hdr.protectTlvSize) return { ok: false, reason: 'bad protected TLV info' };
    off += hdr.protectTlvSize;
  }
  const info = flash.read(area.base + off, 4);
  const tot = info.readUInt16LE(2);
  if (info.readUInt16LE(0) !== TLV_INFO || tot < 4 || off + tot > limit) return { ok: false, reason: 'bad TLV info' };
  const totalSize = off + tot;
  const tlvs = flash.read(area.base + off + 4, tot - 4);
  let hash: Buffer | undefined;
  for (let at = 0; at + 4 <= tlvs.length;) {
    const type = tlvs.readUInt16LE(at);
    const len = tlvs.readUInt16LE(at + 2);
    if (at + 4 + len > tlvs.length) return { ok: false, reason: 'TLV overruns its area', totalSize };
    if (type === TLV_SHA256 && len === 32) hash = tlvs.subarray(at + 4, at + 36);
    at += 4 + len;
  }
  if (!hash) return { ok: false, reason: 'no SHA-256 TLV', totalSize };
  const hashedSize = tlvOff + hdr.protectTlvSize;
  const actual = flash.sha256(area.base, hashedSize);
  if (!actual.equals(hash)) return { ok: false, reason: 'SHA-256 mismatch', totalSize };
  return { ok: true, totalSize, hashedSize };
}
