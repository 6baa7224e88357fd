/**
 * A ByteLink over raw TCP to ser2net (or any serial-over-TCP server in raw mode: no telnet
 * negotiation, RFC 2217 is not spoken). ser2net owns the UART settings; the host only moves bytes.
 */
import { connect, type Socket } from 'node:net';
import { RigError } from '../../core/errors.js';
import { Listeners, type ByteLink } from './byte-link.js';

export interface TcpLinkOptions {
  /** How long connect() may take before the host counts as unreachable. Default 5000. */
  connectTimeoutMs?: number;
}

const HINT = 'is ser2net running with a raw (not telnet) connection on that port? e.g. "connection: &con0 accepter: tcp,2000 connector: serialdev,/dev/ttyUSB0,115200n81,local"';

/** Connects to host:port; a refused, unknown or silent host is a RigError naming host:port. */
export async function openTcpLink(host: string, port: number, opts: TcpLinkOptions = {}): Promise<ByteLink> {
  if (typeof host !== 'string' || host === '') throw new TypeError('openTcpLink: host must be a non-empty string');
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new TypeError(`openTcpLink: port must be 1..65535, got ${String(port)}`);
  const where = `${host}:${port}`;
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect({ host, port });
    const fail = (err: Error) => {
      s.destroy();
      reject(connectError(where, err));
    };
    s.setTimeout(opts.connectTimeoutMs ?? 5000, () => fail(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })));
    s.once('error', fail);
    s.once('connect', () => {
      s.off('error', fail);
      s.setTimeout(0);
      resolve(s);
    });
  });
  return new TcpLink(socket, where);
}

function connectError(where: string, err: Error & { code?: string }): RigError {
  switch (err.code) {
    case 'ECONNREFUSED':
      return new RigError(`ser2net at ${where} refused the connection: ${HINT}`, { cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new RigError(`ser2net host in ${where} is unknown (DNS: ${err.code}): check console.host in the rig file`, { cause: err });
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new RigError(`ser2net at ${where} is unreachable (${err.code}): is the host up and on this network?`, { cause: err });
    default:
      return new RigError(`cannot connect to ser2net at ${where}: ${err.message}`, { cause: err });
  }
}

class TcpLink implements ByteLink {
  readonly description: string;
  private readonly data = new Listeners<Buffer>();
  private readonly closeListeners = new Listeners<Error | undefined>();
  private closed = false;
  private closing?: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly where: string,
  ) {
    this.description = `ser2net ${where}`;
    // Keystrokes go out one by one: Nagle would hold them back behind the echo.
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (!this.closed) this.data.emit(chunk);
    });
    socket.on('error', (err) => this.gone(new RigError(`ser2net connection ${where} failed: ${err.message}`, { cause: err })));
    // ser2net drops the connection when its serial device goes away (or another client takes it).
    socket.on('end', () => this.gone(new RigError(`ser2net at ${where} closed the connection`)));
    socket.on('close', () => this.gone(new RigError(`ser2net connection ${where} closed`)));
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new RigError(`ser2net connection ${this.where} is closed`));
    return new Promise<void>((resolve, reject) => {
      this.socket.write(Buffer.from(bytes), (err) => (err ? reject(new RigError(`writing to ser2net ${this.where} failed: ${err.message}`, { cause: err })) : resolve()));
    });
  }

  onData(listener: (chunk: Buffer) => void): () => void {
    return this.data.add(listener);
  }

  onClose(listener: (reason: Error | undefined) => void): () => void {
    return this.closeListeners.add(listener);
  }

  close(): Promise<void> {
    if (!this.closed) this.shutDown(undefined);
    return this.closing!;
  }

  private gone(reason: Error): void {
    if (!this.closed) this.shutDown(reason);
  }

  private shutDown(reason: Error | undefined): void {
    this.closed = true;
    this.closing = new Promise<void>((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
    this.closeListeners.emit(reason);
  }
}
