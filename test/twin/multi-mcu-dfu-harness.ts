/**
 * A bench for the two-processor product twin: factory setup (each member's 1.0.0 in its primary),
 * both consoles captured, and a small in-test FOTA server (the rig's stateless chunk server) on
 * the host's console. Tests wait on console lines in virtual time.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { VirtualClock } from '../../src/core/clock.js';
import { productSlotAddress } from '../../src/targets/nrf91-nrf52-product.js';
import type { PowerLossMode } from '../../src/twin/flash/power-loss.js';
import type { TwinEvent } from '../../src/twin/mcu.js';
import { MultiMcuDfuTwin } from '../../src/twin/multi-mcu-dfu/device.js';
import type { MultiMcuDfuVariant } from '../../src/twin/multi-mcu-dfu/variants.js';

const fw = (name: string) => readFileSync(new URL(`../../firmware/${name}`, import.meta.url));
export const IMAGES = {
  host1: fw('product-host-v1.signed.bin'),
  radio1: fw('product-radio-v1.signed.bin'),
  host2: fw('product-host-v2.signed.bin'),
  radio2: fw('product-radio-v2.signed.bin'),
};
export const PKG8 = createHash('sha256').update(fw('product-v2.tar')).digest('hex').slice(0, 8);

export function beginLine(host = IMAGES.host2, radio = IMAGES.radio2): string {
  const m = (name: string, b: Buffer) => `${name}:${b.length}:${createHash('sha256').update(b).digest('hex')}`;
  return `fota begin ${PKG8} ${m('host', host)} ${m('radio', radio)}`;
}

export interface ProductBench {
  clock: VirtualClock;
  twin: MultiMcuDfuTwin;
  events: { t: number; e: TwinEvent }[];
  host: () => string;
  radio: () => string;
  /** Resolves when `re` matches the host (or radio) console text after `from`, or rejects after `ms` of virtual time. */
  waitFor(re: RegExp, opts?: { on?: 'host' | 'radio'; ms?: number; from?: number }): Promise<RegExpExecArray>;
  /** Chunks served so far. */
  served: () => number;
  /** Stops the server answering (a cloud that went away). */
  serving: { on: boolean };
  /** Sends `fota begin` for the 2.0.0 pair once the host has settled after power-on. */
  begin(): Promise<void>;
  /**
   * Cuts the power `delayMs` after the first event `match` accepts (from now on), powers on again
   * `offMs` later; resolves at the power-on with the cut's time.
   */
  cutWhen(match: (e: TwinEvent) => boolean, opts?: { delayMs?: number; offMs?: number }): Promise<number>;
  dispose(): void;
}

export function productBench(opts: { variant?: MultiMcuDfuVariant; powerLoss?: PowerLossMode; seed?: number } = {}): ProductBench {
  const clock = new VirtualClock();
  const twin = new MultiMcuDfuTwin({ clock, variant: opts.variant ?? 'correct', powerLoss: opts.powerLoss ?? 'skip', seed: opts.seed ?? 1 });
  twin.massErase();
  twin.programMemory(productSlotAddress('host', 'primary'), IMAGES.host1);
  twin.programMemory(productSlotAddress('radio', 'primary'), IMAGES.radio1);
  const events: { t: number; e: TwinEvent }[] = [];
  twin.onEvent((e) => events.push({ t: clock.now(), e }));
  let hostText = '';
  let radioText = '';
  let partial = '';
  let served = 0;
  const serving = { on: true };
  const images: Record<string, Buffer> = { host: IMAGES.host2, radio: IMAGES.radio2 };
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const w of [...waiters]) w();
  };
  twin.members[0]!.onUartTx((b) => {
    const s = b.toString('latin1');
    hostText += s;
    partial += s;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const l of lines) {
      const m = /^fota get (\S+) (host|radio) (\d+) (\d+)$/.exec(l.trim());
      if (!m || !serving.on || m[1] !== PKG8) continue;
      const off = Number(m[3]);
      const data = images[m[2]!]!.subarray(off, off + Number(m[4]));
      // The cloud's answer arrives a little later (a round trip), as one line.
      clock.setTimer(5, () => {
        served++;
        twin.uartRx(Buffer.from(`fota data ${m[1]} ${m[2]} ${off} ${data.toString('base64')}\n`, 'latin1'));
      });
    }
    poke();
  });
  twin.members[1]!.onUartTx((b) => {
    radioText += b.toString('latin1');
    poke();
  });
  return {
    clock,
    twin,
    events,
    host: () => hostText,
    radio: () => radioText,
    served: () => served,
    serving,
    waitFor(re, { on = 'host', ms = 60_000, from = 0 } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec((on === 'host' ? hostText : radioText).slice(from));
          if (!m) return;
          waiters.delete(check);
          timer.cancel();
          resolve(m);
        };
        const timer = clock.setTimer(ms, () => {
          waiters.delete(check);
          reject(new Error(`no ${re} on the ${on} console within ${ms} ms; host:\n${hostText.slice(-3000)}\nradio:\n${radioText.slice(-1500)}`));
        });
        waiters.add(check);
        check();
      });
    },
    async begin() {
      await this.waitFor(/fota: idle host=1\.0\.0 radio=1\.0\.0/);
      twin.uartRx(Buffer.from(beginLine() + '\n', 'latin1'));
      await this.waitFor(/fota: accepted/);
    },
    cutWhen(match, { delayMs = 0, offMs = 200 } = {}) {
      return new Promise((resolve) => {
        const off = twin.onEvent((e) => {
          if (!match(e)) return;
          off();
          clock.setTimer(delayMs, () => {
            const at = clock.now();
            twin.powerOff();
            clock.setTimer(offMs, () => {
              twin.powerOn();
              resolve(at);
            });
          });
        });
      });
    },
    dispose: () => clock.dispose(),
  };
}
