import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityProviderSchema } from '../../../src/config/federation.ts';
import { createAvailability } from '../../../src/rp/availability.ts';
import { createRegistry } from '../../../src/store/registry-cache.ts';
import { freePort } from '../../support/net.ts';

// Real sockets on loopback: one IdP that answers discovery, one closed port, one that never answers.
const HOST = '127.0.0.1';

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, HOST, () => resolve(`http://${HOST}:${(server.address() as AddressInfo).port}`)),
  );
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

const entry = (uid: string, issuer: string) =>
  identityProviderSchema.parse({
    uid,
    name: uid,
    issuer,
    client_id: 'relais',
    client_secret: 'an-idp-secret',
  });

describe('availability against real HTTP servers', () => {
  let healthy: Server;
  let silent: Server;
  const origins = { healthy: '', silent: '', closed: '' };

  beforeAll(async () => {
    healthy = createServer((request, response) => {
      if (request.url !== '/.well-known/openid-configuration') return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ issuer: origins.healthy, authorization_endpoint: `${origins.healthy}/authorize` }),
      );
    });
    silent = createServer(() => {
      // Accepts the connection and never answers: only the probe's timeout ends it.
    });
    origins.healthy = await listen(healthy);
    origins.silent = await listen(silent);
    origins.closed = `http://${HOST}:${await freePort(HOST)}`;
  });

  afterAll(async () => {
    await Promise.all([close(healthy), close(silent)]);
  });

  it('keeps the answering IdP and greys the closed and the silent ones within two rounds', async () => {
    const registry = await createRegistry({
      listServiceProviders: async () => [],
      listIdentityProviders: async () => [
        entry('healthy', origins.healthy),
        entry('closed', origins.closed),
        entry('silent', origins.silent),
      ],
      fingerprint: async () => 'fixed',
    });
    const availability = createAvailability({ registry, probeTimeoutMs: 300 });
    const started = performance.now();
    await availability.probeNow();
    await availability.probeNow();
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(availability.isAvailable('healthy')).toBe(true);
    expect(availability.isAvailable('closed')).toBe(false);
    expect(availability.isAvailable('silent')).toBe(false);
  });

  it('lets a process with background probing running exit by itself', async () => {
    const modules = ['src/rp/availability.ts', 'src/store/registry-cache.ts'].map(
      (path) => new URL(`../../../${path}`, import.meta.url).href,
    );
    const script = `
      const { createAvailability } = await import(${JSON.stringify(modules[0])});
      const { createRegistry } = await import(${JSON.stringify(modules[1])});
      const idp = { uid: 'closed', issuer: ${JSON.stringify(origins.closed)}, active: true, order: 1 };
      const registry = await createRegistry({
        listServiceProviders: async () => [], listIdentityProviders: async () => [idp], fingerprint: async () => '',
      });
      createAvailability({ registry, intervalMs: 60_000 }).start();
    `;
    const started = performance.now();
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
      const kill = setTimeout(() => child.kill(), 10_000);
      child.once('error', reject);
      child.once('exit', (exitCode) => {
        clearTimeout(kill);
        resolve(exitCode);
      });
    });
    expect(code).toBe(0);
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
