import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { REACHABLE_TIMEOUT_MS, recentlyReachable, tcpReachable } from '../../../src/rp/reachable.ts';

async function listening() {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('tcpReachable, the logout check', () => {
  it('is true for an endpoint whose host:port takes a connection', async () => {
    const server = await listening();
    await expect(tcpReachable()(new URL(`http://127.0.0.1:${server.port}/session/end`))).resolves.toBe(true);
    await server.close();
  });

  it('is false at once for a port where nothing listens', async () => {
    const server = await listening();
    await server.close();
    const began = performance.now();
    await expect(tcpReachable()(new URL(`http://127.0.0.1:${server.port}/session/end`))).resolves.toBe(false);
    expect(performance.now() - began).toBeLessThan(REACHABLE_TIMEOUT_MS);
  });

  it('gives up at its timeout on a host that never answers, and never rejects', async () => {
    // A blackholed address (TEST-NET-1, RFC 5737): no answer, or an immediate network error.
    const began = performance.now();
    await expect(tcpReachable(100)(new URL('https://192.0.2.1/session/end'))).resolves.toBe(false);
    expect(performance.now() - began).toBeLessThan(1_000);
    await expect(tcpReachable(100)(new URL('https://nowhere.invalid/'))).resolves.toBe(false);
  });
});

describe('recentlyReachable', () => {
  it('remembers a success for a moment, per host and port, and never a failure', async () => {
    let clock = 0;
    const asked: string[] = [];
    let up = true;
    const check = recentlyReachable(
      async (endpoint) => {
        asked.push(endpoint.host);
        return up;
      },
      2000,
      () => clock,
    );
    const idp = new URL('https://idp.example/authorize');
    expect(await check(idp)).toBe(true);
    up = false;
    clock = 1999;
    expect(await check(idp)).toBe(true);
    expect(asked).toEqual(['idp.example']);
    clock = 2000;
    expect(await check(idp)).toBe(false);
    expect(await check(idp)).toBe(false);
    expect(asked).toHaveLength(3);
    expect(await check(new URL('https://other.example/'))).toBe(false);
  });
});
