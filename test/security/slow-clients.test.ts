// Threat: slowloris. A client that sends its headers or its body a byte at a time holds a
// connection (and its memory) for as long as it likes, unless the server cuts it.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Federation, startFederation } from '../support/federation.ts';

let federation: Federation;

beforeAll(async () => {
  federation = await startFederation({
    idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
    sps: [{ client_id: 'sp-a', client_secret: 'sp-a-secret-0123456789-0123456789-abcdef' }],
    env: {
      HTTP_REQUEST_TIMEOUT_MS: '2000',
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
    },
  });
});

afterAll(() => federation?.close());

/** Opens a connection to the hub, dribbles `chunks` one per `everyMs`; resolves when the hub closes it. */
function dribble(chunks: string[], everyMs: number): Promise<{ afterMs: number; answer: string }> {
  const { hostname, port } = new URL(federation.issuer);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let answer = '';
    const socket: Socket = connect(Number(port), hostname);
    let timer: ReturnType<typeof setInterval> | undefined;
    socket.on('connect', () => {
      let next = 0;
      timer = setInterval(() => {
        if (next < chunks.length && !socket.destroyed) socket.write(chunks[next++] ?? '');
      }, everyMs);
    });
    socket.on('data', (data) => {
      answer += data.toString();
    });
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ afterMs: Date.now() - started, answer });
    });
    socket.on('error', () => {});
    setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error('the hub never cut the connection'));
    }, 15_000);
  });
}

// Each waits for the hub to cut it: side by side.
describe.concurrent('slow clients', () => {
  it('cuts headers sent a byte at a time (HTTP_HEADERS_TIMEOUT_MS)', async () => {
    const request = `GET /healthz HTTP/1.1\r\nHost: relais\r\nX-Slow: ${'a'.repeat(200)}`;
    const { afterMs, answer } = await dribble([...request], 200);
    expect(afterMs).toBeLessThan(5000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('cuts a body sent a byte a second (HTTP_REQUEST_TIMEOUT_MS)', async () => {
    const head =
      'POST /interaction/x/idp HTTP/1.1\r\nHost: relais\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n';
    const { afterMs, answer } = await dribble([head, ...'idp=idp-a&csrf=0123456789'], 1000);
    expect(afterMs).toBeLessThan(6000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes an idle keep-alive connection (HTTP_KEEP_ALIVE_TIMEOUT_MS)', async () => {
    const { afterMs, answer } = await dribble(['GET /healthz HTTP/1.1\r\nHost: relais\r\n\r\n'], 10);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(afterMs).toBeLessThan(4000);
  });
});
