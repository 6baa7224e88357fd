/**
 * Who handles Ctrl-C in this process. The hil CLI claims it (it aborts the command and closes the
 * rig, so the relay switches with its settle time); anywhere else (a `hil run` Jest worker, a
 * library user) the GPIO exit hooks must take the signal themselves, or the process dies without
 * running any 'exit' handler. Counting SIGINT listeners cannot tell: execa's child cleanup
 * installs its own.
 */
let claimed = false;

export function claimSignals(): void {
  claimed = true;
}

export function signalsClaimed(): boolean {
  return claimed;
}
