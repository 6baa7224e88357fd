/** Node.js version: the one check every rig needs, twin or not (package.json engines). */
import type { Check, CheckContext } from './types.js';

export const MIN_NODE = [20, 19] as const;

export function nodeVersionOk(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
}

export async function checkNode({ env }: CheckContext): Promise<Check[]> {
  const need = `${MIN_NODE[0]}.${MIN_NODE[1]}`;
  const ok = nodeVersionOk(env.nodeVersion);
  return [
    {
      id: 'node.version',
      title: 'Node.js',
      status: ok ? 'ok' : 'fail',
      detail: ok ? `v${env.nodeVersion} (needs >= ${need})` : `v${env.nodeVersion} is too old: hil needs Node.js >= ${need}`,
      ...(!ok && {
        // Debian bookworm's own nodejs is 18: NodeSource is the apt route to a current one.
        fix: 'curl -fsSL https://deb.nodesource.com/setup_22.x | sudo -E bash - && sudo apt-get install -y nodejs   # or: nvm install 22',
      }),
    },
  ];
}
