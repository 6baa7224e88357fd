import { ConfigError } from '../../core/errors.js';
import type { SchemeAdapter } from './scheme.js';
import { sfuAbScheme } from './sfu-ab.js';

const SCHEMES: Record<string, SchemeAdapter> = { 'sfu-ab': sfuAbScheme };

export function schemeAdapter(scheme: string): SchemeAdapter {
  const s = SCHEMES[scheme];
  if (!s) throw new ConfigError(`scheme ${scheme} is not supported by this build yet (supported: ${Object.keys(SCHEMES).join(', ')})`);
  return s;
}
export type { SchemeAdapter, FlashView } from './scheme.js';
