// Which processes a test's child has started, read from /proc (Linux), so a test can wait for "the
// tool is running" instead of sleeping for a guessed time.
import { readdirSync, readFileSync } from 'node:fs';

/** The pid of a live (not zombie) child of `parent` whose command name is `comm`, or undefined. */
export function childNamed(parent: number, comm: string): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const [state, ppid] = stat.slice(close + 2).split(' ');
      if (stat.slice(stat.indexOf('(') + 1, close) === comm && Number(ppid) === parent && state !== 'Z') return Number(name);
    } catch {
      // exited meanwhile
    }
  }
  return undefined;
}
