/**
 * The scheme registry, host side. The list of schemes is ./meta-registry.ts (pure facts, which
 * config may import); this adds each scheme's host part, src/schemes/<name>/index.ts, loaded on
 * first use by the scheme's name, so config and `hil --help` never load images/.
 */
import { ConfigError } from '../core/errors.js';
import { schemeMeta } from './meta-registry.js';
import type { SchemeHost, SchemeMeta } from './scheme.js';

const hosts = new Map<string, Promise<SchemeHost>>();

/** The scheme's host part (baseline, inspection, dump reading); a ConfigError for an unknown scheme. */
export async function schemeAdapter(name: string): Promise<SchemeHost> {
  // The name is a registered one (schemeMeta throws otherwise), never raw user input, so the path is ours.
  const meta = schemeMeta(name);
  let host = hosts.get(meta.name);
  if (!host) {
    host = import(`./${meta.name}/index.js`).then((m: { host?: SchemeHost }) => {
      if (m.host?.name !== meta.name) throw new ConfigError(`src/schemes/${meta.name}/index.ts does not export the host of ${meta.name}`);
      return m.host;
    });
    hosts.set(meta.name, host);
  }
  return host;
}

/** The suite's `setup:` for this scheme, defaulted and checked. */
export function schemeSetup(scheme: Pick<SchemeMeta, 'name' | 'setups'>, setup: string | undefined, where: string): string {
  if (setup === undefined) return scheme.setups[0]!;
  if (!scheme.setups.includes(setup)) throw new ConfigError(`${where}: setup ${JSON.stringify(setup)} does not exist for ${scheme.name} (setups: ${scheme.setups.join(', ')})`);
  return setup;
}

export * from './meta-registry.js';
export type { SchemeHost, SchemeAdapter, FlashView, BaselineImages, UpdateImage } from './scheme.js';
