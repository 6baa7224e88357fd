/**
 * The twin registry: one simulated device per boot scheme, one line each. A twin is one folder,
 * src/twin/<scheme>/ (named as the scheme), whose registration.ts gives the scheme it models, its bootloader variants
 * and its device factory. The host side has its own registry (src/schemes/registry.ts): the two
 * never import each other, so a twin bug cannot hide behind a shared reading of the formats.
 */
import type { SchemeTwin } from './scheme-twin.js';
import { sfuTwin } from './sfu-ab/registration.js';
import { stm32Twin } from './stm32-dualbank/registration.js';
import { mcubootTwin } from './mcuboot-swap/registration.js';
import { loaderAppTwin } from './loader-app/registration.js';
import { multiMcuDfuTwin } from './multi-mcu-dfu/registration.js';

/** Every twin, by the scheme it models. Add a twin here. */
export const TWINS: readonly SchemeTwin[] = [sfuTwin, stm32Twin, mcubootTwin, loaderAppTwin, multiMcuDfuTwin];

export function findTwin(scheme: string): SchemeTwin | undefined {
  return TWINS.find((t) => t.scheme === scheme);
}

export type { SchemeTwin, TwinCreateOptions, VariantInfo } from './scheme-twin.js';
