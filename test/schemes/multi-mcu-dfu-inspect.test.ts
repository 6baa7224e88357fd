/**
 * The product's host-side inspection on dumps laid out by hand from the product address map (not
 * taken from the twin): each member judged by the neutral MCUboot reading, the product's next
 * boot and version on top, and the FlashView the verdict reads.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { mcubootTrailerWrites } from '../../src/firmware/mcuboot-image.js';
import { readImage, schemeAdapter } from '../../src/schemes/registry.js';
import { formatProductInspection, inspectProduct, productFlashView, type ProductDump } from '../../src/schemes/multi-mcu-dfu/index.js';
import { HOST_PARTITIONS, PRODUCT_REGIONS, RADIO_PARTITIONS, SHARED_PARTITIONS } from '../../src/targets/nrf91-nrf52-product.js';
import type { MemoryRegion, Probe } from '../../src/drivers/capabilities.js';
import type { UpdateImage } from '../../src/schemes/scheme.js';

/** The host app's record as its documented layout says (written here by hand, not by the twin). */
function dfuHeader(rec: Buffer, pkg8: string, image: ReturnType<typeof readImage>): void {
  rec.write('HDFU', 0, 'latin1');
  rec.writeUInt32LE(1, 4);
  rec.write(pkg8, 8, 'latin1');
  rec.writeUInt32LE(image.members!.host!.size, 0x10);
  rec.writeUInt32LE(image.members!.radio!.size, 0x14);
  rec.write(image.members!.host!.sha256, 0x18, 'hex');
  rec.write(image.members!.radio!.sha256, 0x38, 'hex');
  rec.writeUInt32LE(crc32(rec.subarray(0, 0x58)) >>> 0, 0x58);
}

function dfuEntry(rec: Buffer, n: number, kind: string, arg: number, value: number, opts: { torn?: boolean } = {}): void {
  const e = Buffer.alloc(8);
  e.write(kind, 0, 'latin1');
  e[1] = arg;
  e.writeUInt32LE(value, 4);
  e.writeUInt16LE((crc32(Buffer.concat([e.subarray(0, 2), e.subarray(4, 8)])) & 0xffff) ^ (opts.torn ? 1 : 0), 2);
  e.copy(rec, 0x80 + 8 * n);
}

const lastLine = (i: ReturnType<typeof inspectProduct>) => formatProductInspection(i).split('\n').at(-1);

const v1 = readFileSync('firmware/product-v1.tar');
const v2 = readFileSync('firmware/product-v2.tar');
const r1 = readImage('multi-mcu-dfu', v1);
const r2 = readImage('multi-mcu-dfu', v2);
const known = [
  { name: 'product-v1.tar', slotImage: r1.slotImage },
  { name: 'product-v2.tar', slotImage: r2.slotImage },
];

function erased(): ProductDump {
  return {
    'host-flash': Buffer.alloc(PRODUCT_REGIONS['host-flash'].size, 0xff),
    'radio-flash': Buffer.alloc(PRODUCT_REGIONS['radio-flash'].size, 0xff),
    'shared-flash': Buffer.alloc(PRODUCT_REGIONS['shared-flash'].size, 0xff),
  };
}

/** Factory state: v1 of each member in its primary, the rest erased. */
function factory(): ProductDump {
  const d = erased();
  r1.members!.host!.image.copy(d['host-flash'], HOST_PARTITIONS.primary.base);
  r1.members!.radio!.image.copy(d['radio-flash'], RADIO_PARTITIONS.primary.base);
  return d;
}

/** What boot_set_pending leaves: the image in the secondary and the TEST request in its trailer. */
function pending(d: ProductDump, member: 'host' | 'radio', image: Buffer): void {
  const base = member === 'host' ? SHARED_PARTITIONS.hostSecondary.base : SHARED_PARTITIONS.radioSecondary.base;
  const size = SHARED_PARTITIONS.hostSecondary.size;
  image.copy(d['shared-flash'], base);
  for (const w of mcubootTrailerWrites(size, { permanent: false })) w.bytes.copy(d['shared-flash'], base + w.offset);
}

describe('multi-mcu-dfu inspection', () => {
  it('factory: each member boots its primary v1; the product boots host:primary+radio:primary running host=1.0.0,radio=1.0.0', () => {
    const i = inspectProduct(factory(), { known });
    expect(i.bootsNext).toBe('host:primary+radio:primary');
    expect(i.version).toBe('host=1.0.0,radio=1.0.0');
    expect(i.valid).toBe(true);
    expect(i.members.host).toMatchObject({ target: 'nrf9160', bootsNext: 'primary', nextAction: 'none', runs: { from: 'primary', version: '1.0.0+0', matches: 'product-v1.tar:host' } });
    expect(i.members.radio!.runs?.matches).toBe('product-v1.tar:radio');
    // Reports show virtual addresses: the radio's primary at 0x10C000, its secondary in the shared NOR at 0x220000.
    expect(i.members.radio!.slots.map((s) => s.base)).toEqual([0x10_c000, 0x22_0000]);
    expect(i.members.host!.slots[0]!.problems).toEqual([]);
    expect(i.dfuState).toEqual({ state: 'erased', text: 'dfu-state: erased (no update record)' });
  });

  it('the radio image waiting in the shared flash with a TEST request: radio swaps in 2.0.0, the host stays at 1.0.0', () => {
    const d = factory();
    pending(d, 'radio', r2.members!.radio!.image);
    const i = inspectProduct(d, { known });
    expect(i.members.radio).toMatchObject({ nextAction: 'test', willRun: 'secondary', runs: { version: '2.0.0+0', matches: 'product-v2.tar:radio' } });
    expect(i.members.host!.nextAction).toBe('none');
    expect(i.version).toBe('host=1.0.0,radio=2.0.0');
    expect(i.summary).toBe('boots host:primary+radio:primary, running host=1.0.0,radio=2.0.0');
  });

  it("a radio image in the host's secondary is told apart (a member's image matched per member)", () => {
    const d = factory();
    pending(d, 'host', r2.members!.radio!.image);
    const i = inspectProduct(d, { known });
    expect(i.members.host!.runs?.matches).toBeUndefined();
    expect(i.members.host!.runs?.version).toBe('2.0.0+0');
  });

  it('a half-downloaded radio image marked pending: MCUboot refuses it and the radio keeps 1.0.0', () => {
    const d = factory();
    const half = Buffer.from(r2.members!.radio!.image.subarray(0, 12_000));
    pending(d, 'radio', half);
    const i = inspectProduct(d, { known });
    expect(i.members.radio!.runs).toMatchObject({ from: 'primary', version: '1.0.0+0' });
    expect(i.members.radio!.slots[1]!.problems.join('\n')).toMatch(/requested but the image is not valid/);
    expect(i.version).toBe('host=1.0.0,radio=1.0.0');
  });

  it('an erased radio primary: the product does not start (bootsNext null), and says which member hangs', () => {
    const d = factory();
    d['radio-flash'].fill(0xff, RADIO_PARTITIONS.primary.base, RADIO_PARTITIONS.primary.base + RADIO_PARTITIONS.primary.size);
    const i = inspectProduct(d, { known });
    expect(i.bootsNext).toBeNull();
    expect(i.valid).toBe(false);
    expect(i.version).toBe('host=1.0.0,radio=?');
    expect(i.summary).toBe('radio will hang in MCUboot: the product does not start');
  });

  it("the dfu-state record: an update downloading, its members' progress, a torn entry skipped; pending until done", () => {
    const d = factory();
    const rec = d['host-flash'].subarray(HOST_PARTITIONS.dfuState.base, HOST_PARTITIONS.dfuState.base + HOST_PARTITIONS.dfuState.size);
    dfuHeader(rec, '21988bf4', r2);
    dfuEntry(rec, 0, 'P', 0, 25180);
    dfuEntry(rec, 1, 'P', 1, 8192);
    dfuEntry(rec, 2, 'P', 1, 12288, { torn: true });
    let i = inspectProduct(d, { known });
    expect(i.dfuState).toMatchObject({ state: 'record', pkg: '21988bf4', stage: 'downloading', tornEntries: 1, pending: 'pkg 21988bf4 downloading, host 25180/25180 B, radio 8192/25180 B' });
    expect(i.dfuState!.members!.radio.sha256).toBe(r2.members!.radio!.sha256);
    expect(productFlashView(i).pending).toBe('pkg 21988bf4 downloading, host 25180/25180 B, radio 8192/25180 B');
    dfuEntry(rec, 3, 'P', 1, 25180);
    dfuEntry(rec, 4, 'V', 1, 2);
    dfuEntry(rec, 5, 'S', 2, 0);
    i = inspectProduct(d, { known });
    expect(i.dfuState).toMatchObject({ stage: 'radio-done', pending: 'pkg 21988bf4 radio-done, host 25180/25180 B, radio 25180/25180 B' });
    expect(i.dfuState!.members!.radio.version).toBe('2.0.0');
    expect(lastLine(i)).toBe('dfu-state: pkg 21988bf4 radio-done (pending), host 25180/25180 B, radio 25180/25180 B, 1 torn entry skipped');
    dfuEntry(rec, 6, 'S', 4, 0);
    i = inspectProduct(d, { known });
    expect(i.dfuState).toMatchObject({ stage: 'done' });
    expect(i.dfuState!.pending).toBeUndefined();
    expect(productFlashView(i).pending).toBeUndefined();
  });

  it('a dfu-state header torn mid-write (bad CRC) or of another layout is no update', () => {
    const d = factory();
    const rec = d['host-flash'].subarray(HOST_PARTITIONS.dfuState.base, HOST_PARTITIONS.dfuState.base + HOST_PARTITIONS.dfuState.size);
    dfuHeader(rec, '21988bf4', r2);
    rec.fill(0xff, 0x40, 0x5c);
    expect(inspectProduct(d).dfuState).toEqual({ state: 'invalid', text: 'dfu-state: no valid update record (header CRC-32 does not match (torn or damaged)): no update' });
    rec.write('XDFU', 0, 'latin1');
    expect(inspectProduct(d).dfuState!.text).toMatch(/magic is "XDFU", not "HDFU"/);
  });

  it('the FlashView: members as single-MCU views, prefixed slots on top, the product version as next', () => {
    const d = factory();
    pending(d, 'radio', r2.members!.radio!.image);
    const view = productFlashView(inspectProduct(d, { known }));
    expect(view.slots.map((s) => s.slot)).toEqual(['host:primary', 'host:secondary', 'radio:primary', 'radio:secondary']);
    expect(view.bootsNext).toBe('host:primary+radio:primary');
    expect(view.next).toEqual({ valid: true, version: 'host=1.0.0,radio=2.0.0' });
    expect(view.members!.radio).toMatchObject({ bootsNext: 'primary', jumps: true, noBootAs: 'bricked', next: { valid: true, version: '2.0.0+0', matches: 'product-v2.tar:radio' } });
    expect(view.members!.radio!.slots.map((s) => s.slot)).toEqual(['primary', 'secondary']);
    expect(view.pending).toBeUndefined();
    expect(view.table).toMatch(/^host \(nrf9160\): primary host-flash\+0x00c000, secondary shared-flash\+0x000000, scratch host-flash\+0x0f0000\n/);
    expect(view.table).toMatch(/\nradio \(nrf52840\): primary radio-flash\+0x00c000, secondary shared-flash\+0x020000, scratch radio-flash\+0x0f0000\n/);
    expect(view.table).toMatch(/next boot: swaps in \(test\) the secondary's image 2\.0\.0\+0/);
    expect(view.table).toMatch(/\nproduct: boots host:primary\+radio:primary, running host=1\.0\.0,radio=2\.0\.0\n/);
  });

  it('never throws on any bytes: random memories, and a factory dump with random bytes over the trailers, scratch and dfu-state', () => {
    let seed = 0x9160;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 24;
    };
    const noise = (b: Buffer, from = 0, to = b.length) => {
      for (let i = from; i < to; i++) b[i] = rnd();
    };
    const random = erased();
    for (const b of Object.values(random)) noise(b, 0, 0x2_1000);
    noise(random['host-flash'], HOST_PARTITIONS.scratch.base, HOST_PARTITIONS.dfuState.base + HOST_PARTITIONS.dfuState.size);
    expect(() => inspectProduct(random, { known })).not.toThrow();
    for (let round = 0; round < 8; round++) {
      const d = factory();
      pending(d, 'radio', r2.members!.radio!.image);
      noise(d['shared-flash'], 0x4_0000 - 64 - round * 512, 0x4_0000);
      noise(d['radio-flash'], RADIO_PARTITIONS.scratch.base + RADIO_PARTITIONS.scratch.size - 2048, RADIO_PARTITIONS.scratch.base + RADIO_PARTITIONS.scratch.size);
      noise(d['host-flash'], HOST_PARTITIONS.dfuState.base + (round % 2 ? 0x80 : 0), HOST_PARTITIONS.dfuState.base + 0x400);
      const i = inspectProduct(d, { known });
      expect(i.members.host!.runs?.version).toBe('1.0.0+0');
      expect(typeof i.summary).toBe('string');
    }
  });

  it('bad dumps: a region missing or of the wrong size is an InspectError naming it and the expected size', () => {
    const d = factory() as Partial<ProductDump>;
    delete d['shared-flash'];
    expect(() => inspectProduct(d as ProductDump)).toThrow('product dump: region shared-flash is missing (expected 4194304 bytes)');
    const short = { ...factory(), 'radio-flash': Buffer.alloc(4096, 0xff) };
    expect(() => inspectProduct(short)).toThrow('product dump: region radio-flash is 4096 bytes, expected 1048576');
  });
});

/** A mocked composite probe over one Buffer per memory, addressed by the product's virtual map. */
class MockedCompositeProbe implements Probe {
  readonly log: string[] = [];
  constructor(readonly mem: ProductDump) {}
  private at(address: number): [Buffer, number] {
    for (const r of Object.values(PRODUCT_REGIONS)) if (address >= r.base && address < r.base + r.size) return [this.mem[r.name], address - r.base];
    throw new Error(`no memory at 0x${address.toString(16)}`);
  }
  async dump(regions: readonly MemoryRegion[]) {
    this.log.push(`dump ${regions.map((r) => r.name).join(',')}`);
    return Object.fromEntries(
      regions.map((r) => {
        const [b, o] = this.at(r.base);
        return [r.name, Buffer.from(b.subarray(o, o + r.size))];
      }),
    );
  }
  async program(address: number, data: Uint8Array) {
    this.log.push(`program 0x${address.toString(16)} ${data.length}`);
    const [b, o] = this.at(address);
    Buffer.from(data).copy(b, o);
  }
  async massErase() {
    this.log.push('mass-erase');
    for (const b of Object.values(this.mem)) b.fill(0xff);
  }
}

describe('multi-mcu-dfu baseline and inspection through a probe (a mocked composite probe)', () => {
  const image = (name: string, bytes: Buffer): UpdateImage => {
    const r = readImage('multi-mcu-dfu', bytes);
    return {
      name,
      file: `firmware/${name}`,
      scheme: 'multi-mcu-dfu',
      stream: bytes,
      sha256: 'x',
      ...(r.version && { version: r.version }),
      slotImage: r.slotImage,
      ...(r.members && { members: r.members }),
    };
  };

  it('factory baseline: whole primaries programmed at their virtual addresses, leftovers erased, MCUboot untouched (no mass erase); inspect reads it back', async () => {
    const d = erased();
    const mcuboot = Buffer.alloc(HOST_PARTITIONS.mcuboot.size, 0x42);
    mcuboot.copy(d['host-flash'], 0);
    mcuboot.copy(d['radio-flash'], 0);
    // What a previous update left: a primary trailer at the slot's end, the radio's v2 in the shared NOR, a log record, an update record.
    d['host-flash'].fill(0x01, HOST_PARTITIONS.primary.base + HOST_PARTITIONS.primary.size - 16, HOST_PARTITIONS.primary.base + HOST_PARTITIONS.primary.size);
    r2.members!.radio!.image.copy(d['shared-flash'], SHARED_PARTITIONS.radioSecondary.base);
    d['shared-flash'].fill(0x00, SHARED_PARTITIONS.radioLog.base, SHARED_PARTITIONS.radioLog.base + 32);
    d['host-flash'].fill(0x00, HOST_PARTITIONS.dfuState.base, HOST_PARTITIONS.dfuState.base + 0x5c);
    const probe = new MockedCompositeProbe(d);
    const host = await schemeAdapter('multi-mcu-dfu');
    await host.baseline(probe, { from: image('product-v1.tar', v1) }, 'factory');
    expect(probe.log).toEqual([
      'program 0xc000 131072',
      'program 0x10c000 131072',
      'dump host-scratch,radio-scratch,host-secondary,radio-secondary,radio-log,host-dfu-state',
      'program 0x220000 131072',
      'program 0x300000 65536',
      'program 0xf8000 8192',
    ]);
    expect(d['host-flash'].subarray(0, HOST_PARTITIONS.mcuboot.size).equals(mcuboot)).toBe(true);
    expect(d['radio-flash'].subarray(0, RADIO_PARTITIONS.mcuboot.size).equals(mcuboot)).toBe(true);
    const view = await host.inspect(probe, [image('product-v1.tar', v1), image('product-v2.tar', v2)]);
    expect(view.bootsNext).toBe('host:primary+radio:primary');
    expect(view.next).toEqual({ valid: true, version: 'host=1.0.0,radio=1.0.0' });
    expect(view.members!.host!.next?.matches).toBe('product-v1.tar:host');
    expect(view.members!.host!.slots[0]!.scheme.magic).toBe('unset');
    expect(view.members!.radio!.slots[1]!.present).toBe(false);
    expect(view.pending).toBeUndefined();
  });

  it('a baseline image that is not a product tar is refused before the probe is touched', async () => {
    const probe = new MockedCompositeProbe(erased());
    const host = await schemeAdapter('multi-mcu-dfu');
    const bare: UpdateImage = { name: 'x.bin', file: 'x.bin', scheme: 'multi-mcu-dfu', stream: Buffer.alloc(1), sha256: 'x', slotImage: { primary: Buffer.alloc(1) } };
    await expect(host.baseline(probe, { from: bare }, 'factory')).rejects.toThrow('x.bin: not a product update with host and radio (a tar of host.signed.bin + radio.signed.bin)');
    expect(probe.log).toEqual([]);
  });
});
