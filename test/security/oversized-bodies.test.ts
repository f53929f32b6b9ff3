// Threat: large bodies sent to the hub's own forms, read into memory before any check. Fastify's
// routes read at most 32 KiB; past it the answer is the hub's error page, never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Federation, startFederation } from '../support/federation.ts';

let federation: Federation;

beforeAll(async () => {
  federation = await startFederation({
    idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
    sps: [{ client_id: 'sp-a', client_secret: 'sp-a-secret-0123456789-0123456789-abcdef' }],
  });
});

afterAll(() => federation?.close());

const post = (path: string, body: string) =>
  fetch(`${federation.issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
    redirect: 'manual',
  });

describe('oversized bodies', () => {
  it('refuses a 100 KiB form on an interaction page with the hub’s page (R4004)', async () => {
    const answer = await post('/interaction/some-login/idp', `idp=idp-a&pad=${'p'.repeat(100 * 1024)}`);
    expect(answer.status).toBe(403);
    expect(await answer.text()).toContain('R4004');
  });

  it('refuses a 40 KiB POST /authorize with the hub’s page (R1013), nothing redirected', async () => {
    const answer = await post('/authorize', `client_id=sp-a&pad=${'p'.repeat(40 * 1024)}`);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('location')).toBeNull();
    expect(await answer.text()).toContain('R1013');
  });
});
