#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx's loader, so `npm ci && npm start` needs no build step.

// Loading the CLI takes seconds on a Pi; a Ctrl-C or SIGTERM in that time has no rig to make safe
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

const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/cli/main.ts');
// main() installs its own handlers before its first await, so no signal falls between the two.
process.off('SIGINT', whileLoading);
process.off('SIGTERM', whileLoading);
process.exitCode = await main(process.argv.slice(2));
// Whatever still keeps the loop alive after the command (a closing port), a signal now means "go".
const afterCommand = () => process.exit(process.exitCode ?? 4);
process.on('SIGINT', afterCommand);
process.on('SIGTERM', afterCommand);
