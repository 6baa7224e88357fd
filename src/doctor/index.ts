/** doctor/: what `hil doctor` checks on the machine and in a rig file, each with its fix. */
export type { Check, CheckStatus, CheckContext, DoctorEnv, RunResult } from './types.js';
export { realEnv, modeBitsAccess, runProgram } from './env.js';
export { runDoctor, CHECK_FAMILIES, type DoctorReport, type CheckFamily } from './run.js';
export { formatReport, type FormatOptions } from './format.js';
export { checkNode } from './node.js';
export { checkOpenOcd } from './openocd.js';
export { checkGpio } from './gpio.js';
export { checkSerial } from './serial.js';
export { checkUsbProbes } from './usb-probes.js';
export { checkUhubctl } from './uhubctl.js';
export { checkRigWiring } from './rig-wiring.js';
