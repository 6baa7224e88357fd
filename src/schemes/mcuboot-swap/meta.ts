/**
 * MCUboot swap-scratch on the nRF52840: the pure facts config and the rig need (no images/, no twin).
 */
import { RigError } from '../../core/errors.js';
import { isAppInfo, readAppInfo } from '../../protocols/appinfo.js';
import { readMcubootImage } from '../../protocols/mcuboot/header.js';
import { MCUBOOT_DUMP_REGIONS, NRF52840, NRF52840_MCUBOOT, NRF52840_PARTITIONS } from '../../targets/nrf52840.js';
import { ImageProblem, type ImageReader } from '../meta-image.js';
import type { SchemeMeta } from '../scheme.js';

/**
 * A signed MCUboot image (header, payload, TLVs), or the same padded to a whole slot by
 * `imgtool --pad`. Primary and secondary hold the same bytes; the trailer is not part of them.
 */
const readImage: ImageReader = (stream) => {
  const slotSize = NRF52840_PARTITIONS.secondary.size;
  if (stream.length > slotSize) throw new ImageProblem(`image is ${stream.length} bytes, larger than an MCUboot slot (${slotSize} bytes)`);
  const facts = readMcubootImage(stream, stream.length);
  if (!facts.header || facts.totalSize === undefined || facts.hdrSize === undefined) {
    throw new ImageProblem(`not a signed MCUboot image (${facts.problems.join('; ') || 'no image header'})`);
  }
  const image = stream.subarray(0, facts.totalSize);
  const info = readAppInfo(image.subarray(facts.hdrSize));
  return { ...(isAppInfo(info) && { version: info.version }), slotImage: { primary: image, secondary: image } };
};

/** MCUboot pending marks: `test` (revert unless the app confirms) or `permanent`. */
const SETUPS = ['test', 'permanent'] as const;

const ALIGN = NRF52840_MCUBOOT.maxAlign;
const WRITE = NRF52840_MCUBOOT.writeSize;
/** Trailer magic for BOOT_MAX_ALIGN = 8 (MCUboot's boot_img_magic). */
const TRAILER_MAGIC = Buffer.from('77c295f360d2ef7f3552500f2cb67980', 'hex');
const SWAP_TYPE_TEST = 2;
const SWAP_TYPE_PERM = 3;
/** The sector a probe erases before writing the pending block: the image must end before it. */
const PAGE = 4096;

/**
 * What `boot_set_pending` leaves in the secondary's trailer, as one block [S-40, S) with erased
 * bytes between the fields (a probe erases the sectors it touches before writing): magic at
 * S-16, image_ok = 1 at S-24 when permanent, swap_info (TEST 2 / PERM 3, image 0) at S-40.
 * Written here from MCUboot's trailer layout, independently of firmware/'s sample builder.
 */
function pendingBlock(slotSize: number, permanent: boolean): { offset: number; bytes: Buffer } {
  const start = slotSize - 16 - 3 * ALIGN;
  const bytes = Buffer.alloc(slotSize - start, NRF52840.erasedValue);
  const flag = (at: number, value: number) => {
    bytes.fill(NRF52840.erasedValue, at - start, at - start + WRITE);
    bytes[at - start] = value;
  };
  TRAILER_MAGIC.copy(bytes, slotSize - 16 - start);
  if (permanent) flag(slotSize - 16 - ALIGN, 1);
  flag(slotSize - 16 - 3 * ALIGN, permanent ? SWAP_TYPE_PERM : SWAP_TYPE_TEST);
  return { offset: start, bytes };
}

export const mcubootSwapMeta: SchemeMeta = {
  name: 'mcuboot-swap',
  target: 'nrf52840',
  setups: SETUPS,
  updaters: ['probe'],
  variants: ['correct', 'no-status-journal', 'journal-before-copy', 'never-revert', 'resume-skips-erased-pages', 'resume-unjournaled'],
  consoleFraming: 'text',
  dumpRegions: MCUBOOT_DUMP_REGIONS,
  readImage,
  stageThroughProbe: (image, setup) => {
    const slot = NRF52840_PARTITIONS.secondary;
    if (setup !== undefined && !(SETUPS as readonly string[]).includes(setup)) {
      throw new RigError(`mcuboot-swap probe update: setup ${setup} is not one of ${SETUPS.join(', ')}`);
    }
    const permanent = setup === 'permanent';
    const note = { kind: 'pending', text: `secondary marked ${permanent ? 'permanent' : 'test'}` };
    // An `imgtool --pad` image carries its own trailer: one write does it all.
    if (image.length === slot.size) return { writes: [{ address: slot.base, bytes: image }], note };
    const pending = pendingBlock(slot.size, permanent);
    if (image.length > pending.offset - (pending.offset % PAGE)) {
      throw new RigError(`mcuboot-swap: a ${image.length}-byte image reaches the secondary's last page; give a padded image (imgtool --pad)`);
    }
    return {
      writes: [
        { address: slot.base, bytes: image },
        { address: slot.base + pending.offset, bytes: pending.bytes },
      ],
      note,
    };
  },
  samples: { from: 'mcuboot-app-v1.signed.bin', to: 'mcuboot-app-v2.signed.bin' },
  twinServe: {
    updates: "console only: MCUboot's update path here is the probe, so a host sees the boot log and the app, and cannot update it over this pty",
    idleReset: false,
  },
  // MCUboot's swap runs after the reset, inside the device: cut by time after the update starts.
  bench: { rig: 'rigs/twin-nrf52840-mcuboot.yaml', trigger: 'after' },
  inspectHelp: `mcuboot-swap (nrf52840)    primary.bin secondary.bin [scratch.bin], or the 1 MiB flash (offset 0 =
                           0x0); known images: signed MCUboot images (padded or not)`,
};
