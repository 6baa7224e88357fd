#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm run build`; `npm ci` builds it through `prepare`).
// Plain JavaScript and lazily loaded commands: `hil --help` costs about what `node -e 0` does.

// Loading the CLI takes a while on a Pi; a Ctrl-C or SIGTERM in that time has no rig to make safe
// yet, but it must still exit 4 (interrupted) like every later one, not the shell's 130/143.
const whileLoading = () => {
  process.stderr.write('\ninterrupted while starting: no rig was touched\n');
  process.exit(4);
};
process.on('SIGINT', whileLoading);
process.on('SIGTERM', whileLoading);
// `ps` and `pgrep hil` show the command, not `node …/bin/hil.js`; also the moment from which a
// signal is handled (a test waits for it).
process.title = ['hil', ...process.argv.slice(2)].join(' ');

// Node 22+ (the Docker image, a Pi): V8 keeps the compiled code of dist/ and the packages between
// runs (in the OS temp folder), so later starts skip most compiling. Node 20 has no such cache.
const { default: nodeModule } = await import('node:module');
nodeModule.enableCompileCache?.();

let main;
try {
  ({ main } = await import('../dist/cli/main.js'));
} catch (err) {
  // Only a missing build gets the hint; any other load failure is a bug to show as it is.
  const missing = err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('/dist/cli/main.js');
  if (!missing) throw err;
  const root = new URL('..', import.meta.url).pathname;
  process.stderr.write(`error: hil is not built: ${root}dist/cli/main.js is missing\nrun \`npm run build\` in ${root} (a full \`npm ci\` builds it too)\n`);
  process.exit(2);
}
// main() installs its own handlers before its first await, so no signal falls between the two.
process.off('SIGINT', whileLoading);
process.off('SIGTERM', whileLoading);
process.exitCode = await main(process.argv.slice(2));
// Whatever still keeps the loop alive after the command (a closing port), a signal now means "go".
const afterCommand = () => process.exit(process.exitCode ?? 4);
process.on('SIGINT', afterCommand);
process.on('SIGTERM', afterCommand);
