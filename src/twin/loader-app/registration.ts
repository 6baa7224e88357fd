/** The loader-app twin's entry in the twin registry. */
import type { SchemeTwin } from '../scheme-twin.js';
import { LoaderAppTwin } from './device.js';
import { LOADER_APP_VARIANTS, type LoaderAppVariant } from './variants.js';

export const loaderAppTwin: SchemeTwin = {
  scheme: 'loader-app',
  variants: LOADER_APP_VARIANTS,
  create: (opts) => new LoaderAppTwin({ ...opts, variant: opts.variant as LoaderAppVariant }),
};
