/**
 * A sweep's points each read only their own console lines, so the rig's console (a product's merged
 * console and each member's) holds the last point's lines only, not every line of thousands of
 * recoveries. The two-processor product's twin, two points with recoveries of their own.
 */
import { describe, expect, it } from '@jest/globals';
import { MergedConsole } from '../../src/drivers/console/merged-console.js';
import { SweepSession, type SweepRequest } from '../../src/scenario/sweep/session.js';

const REQUEST: SweepRequest = { rig: 'rigs/twin-nrf9160-nrf52840-product.yaml', images: { from: 'firmware/product-v1.tar', to: 'firmware/product-v2.tar' }, seed: 1 };

describe('sweep console lines', () => {
  it('after each point the console holds only lines that point printed, its outcome as before', async () => {
    const session = await SweepSession.open(REQUEST);
    try {
      const points = session.everyOp(['after']);
      const console = session.rig.console as MergedConsole;
      expect(console).toBeInstanceOf(MergedConsole);
      // Two points far apart: the second's recovery is not shared with the first's.
      for (const point of [points[10]!, points[points.length - 10]!]) {
        const t0 = session.rig.clock.now();
        const result = await session.recover(point);
        expect(result.shared).toBeUndefined();
        for (const c of [console, ...console.members.map((m) => m.console)]) {
          expect(c.lines.length).toBeGreaterThan(0);
          expect(c.lines.filter((l) => l.t < t0)).toEqual([]);
        }
        expect(console.lines.some((l) => l.text.startsWith('host| '))).toBe(true);
      }
    } finally {
      await session.close();
    }
  });
});
