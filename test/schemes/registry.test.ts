// Issue 9 item 1: everything the host side knows about a boot scheme lives in one folder
// (src/schemes/<name>/) with one registration (src/schemes/meta-registry.ts), and the twin side in
// one folder with one registration (src/twin/registry.ts). These tests fail when a scheme name
// leaks back into shared code, when a registered scheme misses a part, or when the variant names
// config accepts drift from the twin's (config never imports the twin: this test is the bridge).
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEMES, SCHEME_NAMES, readImage, schemeAdapter } from '../../src/schemes/registry.js';
import { TWINS } from '../../src/twin/registry.js';
import { DEFAULT_VARIANTS, SCHEME_SETUPS, SCHEME_TARGET, SCHEME_UPDATERS, SCHEMES as CONFIG_SCHEMES, TARGETS } from '../../src/config/vocabulary.js';
import { loadRig, parseRig } from '../../src/config/index.js';
import { mcubootPendingBlock } from '../../src/firmware/mcuboot-image.js';
import { NRF52840_PARTITIONS } from '../../src/targets/nrf52840.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return files(p);
    return /\.(ts|mts|js|mjs)$/.test(d.name) ? [p] : [];
  });
}

/** Comments say what a file is about and may name a scheme; only code counts. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** Twin folders: those holding a registration.ts (src/twin/<scheme>/). */
const TWIN_FOLDERS = readdirSync(join(ROOT, 'src/twin'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'src/twin', d.name, 'registration.ts')))
  .map((d) => d.name);

/** Where a scheme's name may appear in code: its two folders and the two registries. */
function allowed(file: string): boolean {
  if (file === 'src/schemes/meta-registry.ts' || file === 'src/twin/registry.ts') return true;
  return SCHEME_NAMES.some((n) => file.startsWith(`src/schemes/${n}/`) || file.startsWith(`src/twin/${n}/`));
}

/** Lines of code (not comments) in src/ and bench/ that name a registered scheme outside its folders. */
function leaks(): string[] {
  const found: string[] = [];
  const pattern = new RegExp(SCHEME_NAMES.map((n) => n.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')).join('|'));
  for (const p of [...files(join(ROOT, 'src')), ...files(join(ROOT, 'bench'))]) {
    const file = relative(ROOT, p).split('\\').join('/');
    if (allowed(file)) continue;
    code(readFileSync(p, 'utf8'))
      .split('\n')
      .forEach((line, i) => {
        if (pattern.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  return found;
}

describe('scheme registry: one folder per scheme', () => {
  it('registers at least the three schemes of issue 9, each once', () => {
    for (const n of ['sfu-ab', 'stm32-dualbank', 'mcuboot-swap']) expect(SCHEME_NAMES).toContain(n);
    expect(new Set(SCHEME_NAMES).size).toBe(SCHEME_NAMES.length);
  });

  it('no code outside src/schemes/<name>/, src/twin/<name>/ and the two registries names a scheme', () => {
    expect(leaks()).toEqual([]);
  });

  it('every twin folder is named as the scheme it registers, and every scheme has one', () => {
    expect([...TWIN_FOLDERS].sort()).toEqual([...SCHEME_NAMES].sort());
    for (const name of TWIN_FOLDERS) {
      expect(readFileSync(join(ROOT, 'src/twin', name, 'registration.ts'), 'utf8')).toContain(`scheme: '${name}'`);
    }
    expect(TWINS.map((t) => t.scheme)).toEqual([...SCHEME_NAMES]);
  });

  it('the grep is not blind: it sees a scheme name in a shared file', () => {
    expect(allowed('src/config/vocabulary.ts')).toBe(false);
    expect(allowed('src/drivers/updater/probe/index.ts')).toBe(false);
    const pattern = new RegExp(SCHEME_NAMES.join('|'));
    expect(pattern.test(code(`const x = '${SCHEME_NAMES[1]}';`))).toBe(true);
    expect(pattern.test(code(`// the ${SCHEME_NAMES[1]} scheme`))).toBe(false);
  });

  it('the probe updater stages through the scheme: no sample-image builder, no scheme branches', () => {
    const text = readFileSync(join(ROOT, 'src/drivers/updater/probe/index.ts'), 'utf8');
    expect(text).not.toMatch(/firmware\//);
    expect(text).not.toMatch(/opts\.scheme|scheme ===/);
  });

  it('schemes/ never imports config/, scenario/, rig/, cli/ or twin/ (config imports the schemes: no cycle)', () => {
    const bad: string[] = [];
    for (const p of files(join(ROOT, 'src/schemes'))) {
      for (const m of code(readFileSync(p, 'utf8')).matchAll(/from\s+['"]([^'"]+)['"]|import\s*\(\s*['"`]([^'"`]+)['"`]/g)) {
        const target = relative(join(ROOT, 'src'), resolve(dirname(p), m[1] ?? m[2]!))
          .split('\\')
          .join('/');
        if (/^(config|scenario|rig|cli|twin|lab|report|testing)\//.test(target)) bad.push(`${relative(ROOT, p)} -> ${target}`);
      }
    }
    expect(bad).toEqual([]);
  });

  describe.each(SCHEMES.map((s) => [s.name, s] as const))('%s has every part', (name, meta) => {
    it('its folder is named as the scheme, with meta.ts and index.ts', () => {
      for (const f of ['meta.ts', 'index.ts', 'setups.ts', 'inspect.ts', 'dump.ts', 'format.ts']) {
        expect(existsSync(join(ROOT, 'src/schemes', name, f))).toBe(true);
      }
    });

    it('metadata: a known target, setups, update paths, variants, dump regions, console framing', () => {
      expect(TARGETS).toContain(meta.target);
      expect(meta.setups.length).toBeGreaterThan(0);
      expect(meta.updaters.length).toBeGreaterThan(0);
      expect(meta.variants[0]).toBe('correct');
      expect(meta.dumpRegions.length).toBeGreaterThan(0);
      expect(new Set(meta.dumpRegions.map((r) => r.name)).size).toBe(meta.dumpRegions.length);
      expect(['sfu-and-text', 'text']).toContain(meta.consoleFraming);
      expect(meta.inspectHelp.startsWith(name)).toBe(true);
      // The probe path needs the scheme's staging; no other scheme may claim it.
      expect(meta.updaters.includes('probe')).toBe(meta.stageThroughProbe !== undefined);
    });

    it("a product scheme names its members once each, on known targets, the first on the scheme's target", () => {
      if (!meta.members) return;
      const names = meta.members.map((m) => m.name);
      expect(new Set(names).size).toBe(names.length);
      for (const m of meta.members) expect(TARGETS).toContain(m.target);
      expect(meta.members[0]!.target).toBe(meta.target);
      // Its images say each member's version and bytes, and its dump regions cover each member's flash.
      const reading = readImage(name, readFileSync(join(ROOT, 'firmware', meta.samples.to)));
      expect(Object.keys(reading.members ?? {})).toEqual(names);
      expect(reading.version).toBe(names.map((n) => `${n}=${reading.members![n]!.version}`).join(','));
      for (const n of names) expect(meta.dumpRegions.map((r) => r.name)).toContain(`${n}-flash`);
    });

    it('config accepts exactly what the registration declares', () => {
      expect(CONFIG_SCHEMES).toContain(name);
      expect(SCHEME_TARGET[name]).toBe(meta.target);
      expect(SCHEME_SETUPS[name]).toEqual(meta.setups);
      expect(SCHEME_UPDATERS[name]).toEqual(meta.updaters);
      expect(DEFAULT_VARIANTS[name]).toEqual(meta.variants);
    });

    it('the twin registry models it, with the same variant names config accepts', () => {
      const twin = TWINS.find((t) => t.scheme === name);
      expect(twin).toBeDefined();
      expect(Object.keys(twin!.variants)).toEqual([...meta.variants]);
    });

    it('its sample firmware exists and reads as its image, with a version', () => {
      for (const f of [meta.samples.from, meta.samples.to]) {
        const bytes = readFileSync(join(ROOT, 'firmware', f));
        const reading = readImage(name, bytes);
        expect(reading.version).toBeDefined();
        expect(Object.keys(reading.slotImage).length).toBeGreaterThan(0);
      }
    });

    it('its bench rig is a twin rig of this scheme with an allowed update path', async () => {
      const rig = await loadRig(join(ROOT, meta.bench.rig));
      expect(rig.scheme).toBe(name);
      expect(rig.twin).toBeDefined();
      expect(meta.updaters).toContain(rig.updater.driver);
    });

    it('its host part loads by name and carries baseline, inspection and dump reading', async () => {
      const host = await schemeAdapter(name);
      expect(host.name).toBe(name);
      expect(host.scheme).toBe(name);
      expect(host.setups).toEqual(meta.setups);
      expect(typeof host.baseline).toBe('function');
      expect(typeof host.inspect).toBe('function');
      expect(typeof host.inspectFiles).toBe('function');
      expect(['bricked', 'waiting']).toContain(host.silence);
    });
  });

  it('an unknown scheme name is a config error listing the registered ones', async () => {
    const list = SCHEME_NAMES.join(', ');
    await expect(schemeAdapter('no-such-scheme')).rejects.toThrow(`not supported by this build (supported: ${list})`);
    const yaml = `name: x\ntarget: rp2040\nscheme: no-such-scheme\npower: { driver: twin }\nconsole: { driver: twin }\nupdater: { driver: sfu }\n`;
    expect(() => parseRig(yaml, '/virtual/x.yaml')).toThrow(`one of ${list}`);
  });
});

describe('probe staging, written by the scheme', () => {
  const mcuboot = SCHEMES.find((s) => s.name === 'mcuboot-swap')!;
  const stm32 = SCHEMES.find((s) => s.name === 'stm32-dualbank')!;

  it.each([
    ['test', false],
    ['permanent', true],
  ] as const)("MCUboot %s: the pending block equals the sample builder's (an independent writer)", (setup, permanent) => {
    const image = Buffer.alloc(0x2_0000, 0x5a);
    const staging = mcuboot.stageThroughProbe!(image, setup);
    const want = mcubootPendingBlock(NRF52840_PARTITIONS.secondary.size, { permanent });
    expect(staging.writes).toEqual([
      { address: NRF52840_PARTITIONS.secondary.base, bytes: image },
      { address: NRF52840_PARTITIONS.secondary.base + want.offset, bytes: want.bytes },
    ]);
    expect(staging.note.text).toBe(`secondary marked ${setup}`);
  });

  it('MCUboot refuses an unknown setup and an image reaching the last page before writing anything', () => {
    expect(() => mcuboot.stageThroughProbe!(Buffer.alloc(16), 'sometimes')).toThrow(/setup sometimes is not one of test, permanent/);
    expect(() => mcuboot.stageThroughProbe!(Buffer.alloc(NRF52840_PARTITIONS.secondary.size - 8), 'test')).toThrow(/imgtool --pad/);
  });

  it('STM32 writes bank 2, then the option bytes with BFB2', () => {
    const staging = stm32.stageThroughProbe!(Buffer.alloc(64, 1), undefined);
    expect(staging.writes.map((w) => w.address.toString(16))).toEqual(['8100000', '1fffc000']);
    expect(staging.note.kind).toBe('bfb2');
  });
});
