// A rig test in TypeScript (in your project: `import { useRig } from 'hilrig/jest'`).
import { expect, it } from '@jest/globals';
import { useRig } from '../src/testing/index.js';

const rig = useRig('rigs/twin-rp2040-sfu.yaml');

it('survives a power cut at 37% of the update', async () => {
  const r = await rig.cut({ from: 'firmware/app-v1.page2bin', to: 'firmware/app-v2.page2bin', trigger: 'progress:37%' });
  expect(['updated', 'rolled-back']).toContain(r.outcome);
});

it('leaves a flash the probe can read', async () => {
  expect((await rig.inspect()).bootsNext).not.toBeNull();
});
