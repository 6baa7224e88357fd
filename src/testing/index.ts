/**
 * `hilrig/jest`: writing rig tests in TypeScript with Jest.
 *
 *   import { useRig } from 'hilrig/jest';
 *   const rig = useRig('rigs/twin-rp2040-sfu.yaml');
 *   it('survives a cut', async () => { expect((await rig.cut({ ... })).outcome).toBe('updated'); });
 */
export { useRig, type RigHandle, type UseRigOptions } from './use-rig.js';
export { openRigSession, type RigSession, type RigSessionOptions, type CutOptions, type ConsoleExpectOptions } from './rig-session.js';
export { RigCutError, type RigCutResult } from './cut-error.js';
export type { CutResult } from '../scenario/cut.js';
export type { FlashView } from '../schemes/registry.js';
