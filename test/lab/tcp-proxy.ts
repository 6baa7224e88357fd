/**
 * A TCP proxy in front of a server, for partitions. `cut()` drops every open connection and
 * refuses new ones until `heal()` (a dead switch port: the client learns at once);
 * `cut('blackhole')` keeps connections open but forwards nothing either way (a pulled cable:
 * requests hang until the client's own timeouts notice).
 */
import { createServer, connect, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** 'reset' (default): drops every connection, new ones are closed on accept. 'blackhole': nothing passes, nothing closes. */
  cut(mode?: 'reset' | 'blackhole'): void;
  /** Lets new connections through again. */
  heal(): void;
  readonly isCut: boolean;
  close(): Promise<void>;
}

export function startProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let isCut = false;
  let blackhole = false;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = createServer((client) => {
    track(client);
    if (isCut && !blackhole) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    track(upstream);
    // Forwarded by hand, not piped: a blackhole swallows data without closing anything.
    client.on('data', (chunk) => {
      if (!isCut) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!isCut) client.write(chunk);
    });
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({
        port,
        cut(mode = 'reset') {
          isCut = true;
          blackhole = mode === 'blackhole';
          if (!blackhole) for (const socket of sockets) socket.destroy();
        },
        heal() {
          // Connections that lived through a blackhole lost bytes: a client must start afresh.
          if (blackhole) for (const socket of sockets) socket.destroy();
          isCut = false;
          blackhole = false;
        },
        get isCut() {
          return isCut;
        },
        close() {
          for (const socket of sockets) socket.destroy();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}
