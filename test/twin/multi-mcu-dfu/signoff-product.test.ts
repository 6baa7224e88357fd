/**
 * A sign-off of a product (seed 000): a cut that leaves each processor on a valid image but the
 * pair on versions the product does not support fails its cell whatever the rate, like a brick.
 */
import { describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { ConfigFileError } from '../../../src/config/index.js';
import { NEVER_ACCEPTABLE } from '../../../src/config/signoff-schema.js';
import { parseSignoff } from '../../../src/signoff/load.js';
import { ROOT } from '../../cli/hil.js';

const FILE = join(ROOT, 'signoff-product-test.yaml');

const PRODUCT = `name: product
rigs:
  - twin-nrf9160-nrf52840-product
paths:
  - { name: p, scheme: multi-mcu-dfu, from: firmware/product-v1.tar, to: firmware/product-v2.tar }
cuts:
  - { mode: random, count: 5 }
`;

describe('version-mismatch in a sign-off', () => {
  test('is never acceptable', () => {
    expect(NEVER_ACCEPTABLE).toContain('version-mismatch');
  });

  test('expect.safe naming it is refused at its line and column', async () => {
    let issues: string[] = [];
    try {
      await parseSignoff(`${PRODUCT}expect:\n  safe: [updated, version-mismatch]\n`, FILE);
    } catch (err) {
      if (!(err instanceof ConfigFileError)) throw err;
      issues = err.issues.map((i) => `${i.line}:${i.col} ${i.path}: ${i.message}`);
    }
    expect(issues).toEqual(['9:19 expect.safe[1]: version-mismatch can never count as recovered: one version-mismatch fails a cell whatever its rate']);
  });

  test('a product sign-off without it in safe is accepted', async () => {
    const plan = await parseSignoff(`${PRODUCT}expect:\n  safe: [updated, rolled-back]\n`, FILE);
    expect(plan.expect.safe).toEqual(['updated', 'rolled-back']);
  });
});
