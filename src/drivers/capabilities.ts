/**
 * What a rig can do, as small interfaces (labgrid's protocols). A scenario asks for these,
 * never for a backend; each driver folder holds one file per backend.
 */
export interface Power {
  readonly state: 'on' | 'off' | 'unknown';
  on(): Promise<void>;
  off(): Promise<void>;
  cycle(offMs: number): Promise<void>;
  /**
   * What a scheduled cut does, when it is not off + offMs + on: a programmable supply sags to a
   * low voltage for offMs instead (a brownout rather than a hard cut).
   */
  cut?(offMs: number): Promise<void>;
}

export interface MemoryRegion {
  name: string;
  base: number;
  size: number;
}

/**
 * Stops a probe operation: an aborted one rejects with the signal's reason and leaves the probe
 * idle (an openocd run is killed), so Ctrl-C during a baseline does not wait for the programming.
 */
export interface ProbeOptions {
  signal?: AbortSignal;
}

/** Out-of-band access through a debug port: inspection dumps and baseline programming. */
export interface Probe {
  dump(regions: readonly MemoryRegion[], opts?: ProbeOptions): Promise<Record<string, Buffer>>;
  program(address: number, data: Uint8Array, opts?: ProbeOptions): Promise<void>;
  massErase(opts?: ProbeOptions): Promise<void>;
  /**
   * zlib's CRC-32 of a region as the target holds it, without handing its bytes over. Optional: a
   * scheme that checks a slot's CRC uses it when present (a sweep's twin probe answers from the
   * flash's kept sector CRCs, where the SFU inspection's pass over two dumped 2 MB slots was most
   * of a point's cost) and CRCs the dump otherwise.
   */
  crc32?(region: MemoryRegion, opts?: ProbeOptions): Promise<number>;
}

export interface UpdateProgress {
  phase: string;
  acked: number;
  total: number;
}

export interface UpdateResult {
  ok: boolean;
  /** Where the device says it put the image. */
  slotBase: number;
  bytes: number;
  seconds: number;
  bytesPerSecond: number;
  /**
   * The device said the new image is now its boot choice (SFU: the slot is signed). After that,
   * booting the old image again is a lost update, whatever the console says.
   */
  committed: boolean;
}

/** Sends a new image through the device's own update path (sfu, smp). */
export interface Updater {
  update(image: Buffer, opts: { signal?: AbortSignal; onProgress?: (p: UpdateProgress) => void; setup?: string }): Promise<UpdateResult>;
  /**
   * Makes the image available to a device that asks for it without an update() running (fota: the
   * chunk server learns the package). A sweep worker, which imports a recorded update instead of
   * running one, calls it so that a host resuming its download after a cut is served. Optional:
   * updaters that push (sfu, probe) have nothing to prepare.
   */
  prepare?(image: Buffer): void;
}
