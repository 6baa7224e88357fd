/**
 * The MCUboot twin on a swap cut before its first status record, with the flash built by hand
 * (literal nRF52840 addresses: primary 0xC000 and secondary 0x73000, 0x67000 each; trailer at the
 * slot's end: magic -16, image_ok -24, copy_done -32, swap_info -40, swap_size -48). As MCUboot's
 * swap_read_status and boot_prepare_image_for_update do: the swap type in the status trailer
 * restarts that swap (a revert restarts) once the secondary validates; when it does not, the swap
 * type is FAIL and image_ok is set in the primary.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/core/clock.js';
import { buildMcubootImage } from '../../src/firmware/mcuboot-image.js';
import { McubootSwapTwin } from '../../src/twin/mcuboot-swap/device.js';

const PRIMARY = 0xc000;
const SECONDARY = 0x7_3000;
const SLOT_END = PRIMARY + 0x6_7000;
const MAGIC = Buffer.from('77c295f360d2ef7f3552500f2cb67980', 'hex');
const V1 = buildMcubootImage('1.0.0', 16 * 1024);
const V2 = buildMcubootImage('2.0.0', 16 * 1024, { seed: 1 });

const clocks: VirtualClock[] = [];
afterEach(() => clocks.splice(0).forEach((c) => c.dispose()));

/** v2 in the primary with a status trailer holding swap type REVERT and no record; `secondary` in the secondary, no trailer. */
async function bootBegunRevert(secondary: Buffer) {
  const clock = new VirtualClock();
  clocks.push(clock);
  // The apps never confirm themselves here: image_ok can only come from the bootloader.
  const twin = new McubootSwapTwin({ clock, powerLoss: 'skip', confirmAfterMs: null });
  twin.programMemory(PRIMARY, V2);
  twin.programMemory(SECONDARY, secondary);
  const word = (b: number) => Buffer.from([b, 0xff, 0xff, 0xff]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(0x4000, 0);
  twin.programMemory(SLOT_END - 4096, Buffer.alloc(4096, 0xff));
  const trailer = Buffer.alloc(48, 0xff);
  size.copy(trailer, 0);
  word(0x04).copy(trailer, 8);
  MAGIC.copy(trailer, 32);
  twin.programMemory(SLOT_END - 48, trailer);
  let text = '';
  twin.onUartTx((b) => (text += b.toString('latin1')));
  twin.powerOn();
  await clock.sleep(20_000);
  twin.powerOff();
  return { text, twin };
}

describe('MCUboot twin: a swap cut before its first status record', () => {
  it('a begun revert with a valid secondary restarts the revert and runs the old image', async () => {
    const { text } = await bootBegunRevert(V1);
    expect(text).toMatch(/I: Swap type: revert/);
    expect(text).toMatch(/hilrig-app 1\.0\.0 running from slot primary/);
  });

  it('a begun swap whose secondary fails validation: FAIL, the secondary erased, image_ok set in the primary, the primary runs', async () => {
    const bad = Buffer.from(V1);
    bad[0x300] ^= 1;
    const { text, twin } = await bootBegunRevert(bad);
    expect(text).toMatch(/E: Image in the secondary slot is not valid!/);
    expect(text).toMatch(/hilrig-app 2\.0\.0 running from slot primary/);
    expect(twin.readMemory(SECONDARY, 0x100).every((b) => b === 0xff)).toBe(true);
    expect(twin.readMemory(SLOT_END - 24, 1)[0]).toBe(0x01);
  });
});
