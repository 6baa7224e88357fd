import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RigError } from '../../src/core/errors.js';
import { SysfsGpio, type OnoffGpio, type OnoffModule } from '../../src/drivers/gpio/sysfs.js';
import { fakeSysfs, removeDir, tempDir } from './helpers.js';

/**
 * A fake onoff that behaves like onoff on the fake tree: the constructor "exports" gpioN
 * (direction + value files), writeSync writes value, unexport removes the dir. It also records
 * every call.
 */
function fakeOnoff(root: string) {
  const calls: string[] = [];
  const watchers = new Map<number, (err: Error | null | undefined, v: 0 | 1) => void>();
  class Gpio implements OnoffGpio {
    private readonly dir: string;
    constructor(
      readonly n: number,
      direction: string,
      edge?: string,
    ) {
      calls.push(`new ${n} ${direction}${edge ? ' ' + edge : ''}`);
      this.dir = join(root, `gpio${n}`);
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(join(this.dir, 'direction'), direction === 'high' || direction === 'low' ? 'out' : direction);
      writeFileSync(join(this.dir, 'value'), direction === 'high' ? '1' : '0');
    }
    writeSync(v: 0 | 1) {
      calls.push(`write ${this.n} ${v}`);
      writeFileSync(join(this.dir, 'value'), String(v));
    }
    readSync(): 0 | 1 {
      return Number(readFileSync(join(this.dir, 'value'), 'utf8')) as 0 | 1;
    }
    watch(cb: (err: Error | null | undefined, v: 0 | 1) => void) {
      watchers.set(this.n, cb);
    }
    unwatchAll() {
      watchers.delete(this.n);
    }
    unexport() {
      calls.push(`unexport ${this.n}`);
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
  const mod: OnoffModule = { Gpio };
  return { mod, calls, watchers, value: (n: number) => readFileSync(join(root, `gpio${n}`, 'value'), 'utf8') };
}

let dir: string;
beforeEach(() => {
  dir = tempDir('sysfs');
});
afterEach(() => removeDir(dir));

describe('sysfs backend (fake sysfs tree, fake onoff)', () => {
  test.each([
    ['pinctrl-bcm2711', 512, 529],
    ['pinctrl-rp1', 571, 588],
  ])('label %s + offset 17 resolves to base %i + 17 = %i (fake sysfs tree)', (label, base, global) => {
    const t = fakeSysfs(dir, [
      { label: 'brcmvirt-gpio', base: 504, ngpio: 2 },
      { label, base, ngpio: 54 },
      { label: 'raspberrypi-exp-gpio', base: base + 54, ngpio: 8 },
    ]);
    const g = new SysfsGpio({ ...t });
    expect(g.resolve({ chip: label, offset: 17 })).toEqual({ chip: label, offset: 17, global });
  });

  test('line name GPIO17 resolves through the debugfs listing, with and without a consumer column (fake sysfs tree)', () => {
    const t = fakeSysfs(dir, [{ label: 'pinctrl-rp1', base: 571, ngpio: 54 }]);
    const g = new SysfsGpio({ ...t });
    expect(g.resolve({ name: 'GPIO17' })).toEqual({ chip: 'pinctrl-rp1', offset: 17, global: 588 });
    expect(g.resolve({ name: 'GPIO4' })).toEqual({ chip: 'pinctrl-rp1', offset: 4, global: 575 });
    expect(() => g.resolve({ name: 'GPIO99' })).toThrow(/no line named "GPIO99"/);
  });

  test('unknown label, offset out of range, missing root and missing debugfs are RigErrors (fake sysfs tree)', () => {
    const t = fakeSysfs(dir, [{ label: 'pinctrl-bcm2711', base: 512, ngpio: 58 }]);
    const g = new SysfsGpio({ ...t });
    expect(() => g.resolve({ chip: 'pinctrl-rp1', offset: 17 })).toThrow(/no chip labelled "pinctrl-rp1".*pinctrl-bcm2711 \(base 512\)/);
    expect(() => g.resolve({ chip: 'pinctrl-bcm2711', offset: 58 })).toThrow(/out of range/);
    expect(() => new SysfsGpio({ root: join(dir, 'nope') }).chips()).toThrow(RigError);
    expect(() => new SysfsGpio({ root: t.root, debugGpio: join(dir, 'nope') }).resolve({ name: 'GPIO17' })).toThrow(/debugfs/);
  });

  test('outputs: initial level set at export time, active-low inverted, release writes safe level and unexports (fake sysfs tree)', async () => {
    const t = fakeSysfs(dir, [{ label: 'pinctrl-bcm2711', base: 512, ngpio: 58 }]);
    const onoff = fakeOnoff(t.root);
    const g = new SysfsGpio({ ...t, loadOnoff: async () => onoff.mod });
    const lines = await g.requestOutputs([
      { id: 'relay', line: { chip: 'pinctrl-bcm2711', offset: 17 }, initial: 0, safe: 0, activeLow: true },
      { id: 'boot', line: { name: 'GPIO27' }, initial: 1, safe: 0 },
    ]);
    expect(lines.resolved).toEqual([
      { id: 'relay', chip: 'pinctrl-bcm2711', offset: 17, global: 529 },
      { id: 'boot', chip: 'pinctrl-bcm2711', offset: 27, global: 539 },
    ]);
    // logical 0 on an active-low line = physical high, set by the export direction itself (no glitch)
    expect(onoff.calls.slice(0, 2)).toEqual(['new 529 high', 'new 539 high']);
    await lines.set('relay', 1);
    expect(onoff.value(529)).toBe('0');
    expect(lines.get('relay')).toBe(1);
    await expect(lines.set('nope', 1)).rejects.toThrow(/no output line "nope"/);
    await lines.release();
    await lines.release(); // idempotent
    expect(onoff.calls.slice(3)).toEqual(['write 529 1', 'unexport 529', 'write 539 0', 'unexport 539']);
    expect(existsSync(join(t.root, 'gpio529'))).toBe(false);
    await expect(lines.set('relay', 1)).rejects.toThrow(/already released/);
    expect(lines.get('relay')).toBe(0); // safe level after release
  });

  test('watch reports edges with active-low inversion (fake sysfs tree)', async () => {
    const t = fakeSysfs(dir, [{ label: 'pinctrl-rp1', base: 571, ngpio: 54 }]);
    const onoff = fakeOnoff(t.root);
    const g = new SysfsGpio({ ...t, loadOnoff: async () => onoff.mod });
    const seen: unknown[] = [];
    const w = await g.watch({ line: { name: 'GPIO22' }, edge: 'both', activeLow: true }, (e) => seen.push(e));
    expect(onoff.calls).toEqual(['new 593 in both']);
    onoff.watchers.get(593)!(null, 0);
    expect(seen).toEqual([{ edge: 'falling', level: 1 }]);
    await w.close();
    expect(onoff.watchers.size).toBe(0);
  });

  test('onoff failing to load is a clear RigError (fake sysfs tree)', async () => {
    const t = fakeSysfs(dir, [{ label: 'pinctrl-rp1', base: 571, ngpio: 54 }]);
    const g = new SysfsGpio({
      ...t,
      loadOnoff: async () => {
        throw new Error('Cannot find module epoll');
      },
    });
    const p = g.requestOutputs([{ id: 'r', line: { chip: 'pinctrl-rp1', offset: 17 }, initial: 0, safe: 0 }]);
    await expect(p).rejects.toThrow(RigError);
    await expect(p).rejects.toThrow(/cannot load the onoff package.*epoll/);
  });
});
