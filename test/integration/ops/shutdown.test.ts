// `node src/main.ts` (the demo setup) stops cleanly on SIGTERM: it stops accepting connections,
// lets the request in flight finish, closes its stores and exits 0.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/net.ts';

const MAIN = fileURLToPath(new URL('../../../src/main.ts', import.meta.url));
const HOST = '127.0.0.1';

function waitFor(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before "${text}": ${seen}`)));
  });
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, HOST, () => resolve(socket));
    socket.once('error', reject);
  });
}

async function refused(port: number): Promise<boolean> {
  for (let attempt = 0; attempt < 30; attempt += 1) {
    try {
      (await open(port)).destroy();
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

describe('SIGTERM', () => {
  let dir: string | undefined;
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lets the request in flight finish, stops accepting, and exits 0', { timeout: 15_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'relais-shutdown-'));
    const port = await freePort(HOST);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      PORT: String(port),
      MOCK_IDP_PORT: String(await freePort(HOST)),
      DEMO_SP_PORT: String(await freePort(HOST)),
      PGLITE_DIR: dir,
      LOG_LEVEL: 'error',
    };
    child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = exitOf(child);
    await waitFor(child, 'Relais is running');

    // A slow client: the headers now, the body after the signal.
    const body = 'client_id=sp&scope=openid&response_type=code';
    const socket = await open(port);
    let response = '';
    socket.on('data', (chunk: Buffer) => {
      response += chunk.toString();
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(
      `POST /authorize HTTP/1.1\r\nHost: ${HOST}:${port}\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n` +
        body.slice(0, 10),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill('SIGTERM');

    expect(await refused(port)).toBe(true);
    expect(child.exitCode).toBeNull();
    socket.write(body.slice(10));
    await closed;
    expect(response).toMatch(/^HTTP\/1\.1 303 /);
    expect(response).toContain('location: /authorize?client_id=sp');
    expect(await exited).toBe(0);
  });
});
