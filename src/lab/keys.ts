/**
 * Every Redis key the lab uses, in one place: a reader (or `redis-cli --scan`) finds a rig's
 * lease, fence counter, owner and health under the same prefix, and no module spells a key by hand.
 * `p` is lab.yaml's `redis.prefix` (default `hil`), so two labs can share one Redis.
 */

/** BullMQ's own prefix for the lab's queues: kept under the lab's prefix so one SCAN finds everything. */
export function queuePrefix(p: string): string {
  return `${p}:q`;
}

/** JSON LeaseRecord with a PX ttl: who drives the rig right now, and with which fencing token. */
export function leaseKey(p: string, rig: string): string {
  return `${p}:lease:${rig}`;
}

/** INCR counter: the rig's fencing tokens. Never expires, so tokens only ever grow. */
export function fenceKey(p: string, rig: string): string {
  return `${p}:fence:${rig}`;
}

/** JSON RigOwner with a PX ttl kept alive by the owning worker's heartbeat. */
export function ownerKey(p: string, rig: string): string {
  return `${p}:owner:${rig}`;
}

/** SET of every rig name ever registered by a worker. */
export function rigsKey(p: string): string {
  return `${p}:rigs`;
}

/** HASH {state, reason, passes, failures, at}. */
export function healthKey(p: string, rig: string): string {
  return `${p}:health:${rig}`;
}

/** JSON of the rig's last job's JobResultsMeta. */
export function lastKey(p: string, rig: string): string {
  return `${p}:last:${rig}`;
}

/** The job's current phase (string), EX 7 days: a stalled job's retry reads how far it got. */
export function phaseKey(p: string, jobId: string): string {
  return `${p}:phase:${jobId}`;
}

/** STREAM of who did what by hand or by accident: at, by, host, action, rig, detail. */
export function auditKey(p: string): string {
  return `${p}:audit`;
}

/** STREAM of job results. */
export function resultsKey(p: string): string {
  return `${p}:results`;
}
