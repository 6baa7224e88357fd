/**
 * The ser2net backend against a node net.Server playing ser2net in raw mode: bytes both ways,
 * the server dropping the connection (its serial device went away) and accepting again.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import { RigError } from '../../src/core/errors.js';
import { openConsoleLink } from '../../src/drivers/console/open.js';
import type { GapEvent } from '../../src/drivers/console/reconnecting-link.js';
import { openTcpLink } from '../../src/drivers/console/tcp-link.js';
import { ALL_BYTES, clock, closeOpened, track, waitFor } from './helpers.js';

interface FakeSer2net {
  port: number;
  sockets: Socket[];
  /** What the host sent, over all connections. */
  got(): Buffer;
  server: Server;
}

const servers: Server[] = [];
const allSockets: Socket[] = [];

async function stop(server: Server): Promise<void> {
  servers.splice(servers.indexOf(server), 1);
  for (const s of allSockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
}

async function fakeSer2net(): Promise<FakeSer2net> {
  const sockets: Socket[] = [];
  const chunks: Buffer[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    allSockets.push(s);
    s.on('data', (c) => chunks.push(c));
    s.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, sockets, got: () => Buffer.concat(chunks), server };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

afterEach(async () => {
  await closeOpened();
  for (const s of [...servers]) await stop(s);
  allSockets.splice(0);
});

describe('ser2net TCP link', () => {
  it('carries text and every byte value both ways', async () => {
    const srv = await fakeSer2net();
    const link = track(await openConsoleLink({ driver: 'tcp', host: '127.0.0.1', port: srv.port }, { clock }));
    const received: Buffer[] = [];
    link.onData((c) => received.push(c));
    await waitFor('accept', 3000, () => srv.sockets.length === 1);
    srv.sockets[0]!.write(Buffer.concat([Buffer.from('U-Boot> '), ALL_BYTES]));
    await waitFor('bytes at the host', 3000, () => Buffer.concat(received).length >= 8 + ALL_BYTES.length);
    expect(Buffer.concat(received).equals(Buffer.concat([Buffer.from('U-Boot> '), ALL_BYTES]))).toBe(true);
    await link.write(ALL_BYTES);
    await waitFor('bytes at ser2net', 3000, () => srv.got().length >= ALL_BYTES.length);
    expect(srv.got().equals(ALL_BYTES)).toBe(true);
    expect(link.description).toBe(`ser2net 127.0.0.1:${srv.port}`);
  });

  it('reconnects when ser2net drops the connection, with a gap, to the same listeners', async () => {
    const srv = await fakeSer2net();
    const link = track(await openConsoleLink({ driver: 'tcp', host: '127.0.0.1', port: srv.port, reconnectMs: 3000 }, { clock }));
    const received: Buffer[] = [];
    link.onData((c) => received.push(c));
    const gaps: GapEvent[] = [];
    link.onGap((g) => gaps.push(g));
    const closes: (Error | undefined)[] = [];
    link.onClose((r) => closes.push(r));
    await waitFor('accept', 3000, () => srv.sockets.length === 1);
    srv.sockets[0]!.write('before\n');
    await waitFor('before', 3000, () => Buffer.concat(received).toString() === 'before\n');

    srv.sockets[0]!.destroy();
    await waitFor('gap start', 3000, () => gaps.length >= 1);
    expect(gaps[0]!.reason?.message).toMatch(new RegExp(`127\\.0\\.0\\.1:${srv.port}`));
    await waitFor('second accept', 3000, () => srv.sockets.length === 2);
    await waitFor('gap end', 3000, () => gaps.length === 2);
    expect(gaps[1]).toMatchObject({ phase: 'end' });
    srv.sockets[1]!.write('after\n');
    await waitFor('after', 3000, () => Buffer.concat(received).toString() === 'before\nafter\n');
    await link.write(Buffer.from('cmd\r'));
    await waitFor('cmd', 3000, () => srv.got().toString() === 'cmd\r');
    expect(closes).toEqual([]);
  });

  it('closes for good with a RigError when ser2net stays away past reconnectMs', async () => {
    const srv = await fakeSer2net();
    const link = track(await openConsoleLink({ driver: 'tcp', host: '127.0.0.1', port: srv.port, reconnectMs: 400 }, { clock }));
    const closes: (Error | undefined)[] = [];
    link.onClose((r) => closes.push(r));
    await waitFor('accept', 3000, () => srv.sockets.length === 1);
    await stop(srv.server);
    await waitFor('final close', 3000, () => closes.length === 1);
    expect(closes[0]).toBeInstanceOf(RigError);
    expect(closes[0]!.message).toMatch(new RegExp(`ser2net 127\\.0\\.0\\.1:${srv.port} did not come back within 400 ms .*refused`));
  });

  it('a refused connection is a RigError naming host:port and the ser2net setup', async () => {
    const port = await closedPort();
    const err = await openTcpLink('127.0.0.1', port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RigError);
    expect((err as Error).message).toMatch(new RegExp(`ser2net at 127\\.0\\.0\\.1:${port} refused the connection: is ser2net running`));
    await expect(openConsoleLink({ driver: 'tcp', host: '127.0.0.1', port }, { clock })).rejects.toThrow(/refused/);
  });

  it('an unknown host is a RigError that says so', async () => {
    const err = await openTcpLink('no-such-host.invalid', 2000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RigError);
    expect((err as Error).message).toMatch(/no-such-host\.invalid:2000 is unknown/);
  });

  it('a closed link rejects writes and close() is idempotent', async () => {
    const srv = await fakeSer2net();
    const link = await openTcpLink('127.0.0.1', srv.port);
    await link.close();
    await link.close();
    await expect(link.write(Buffer.from('x'))).rejects.toThrow(RigError);
    // The far end sees the close, and the refused write never reached it.
    await waitFor('the close at ser2net', 3000, () => srv.sockets[0]?.destroyed);
    expect(srv.got().length).toBe(0);
  });
});
