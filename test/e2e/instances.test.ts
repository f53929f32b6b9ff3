// Several hub instances behind a round-robin proxy, sharing PostgreSQL and Redis: any instance
// serves any hop of any login, and a registry change made through one reaches the others.
// Needs the real servers (the embedded stores belong to one process).
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Citizen } from '../support/citizen.ts';
import { authorizeRequest, type Federation, spClient, startFederation } from '../support/federation.ts';
import { completeLogin } from '../support/sp-login.ts';

const shared = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
let federation: Federation;

beforeAll(async () => {
  if (!shared) return;
  federation = await startFederation({
    instances: 2,
    idps: [
      { uid: 'idp-a', host: '127.0.0.2' },
      { uid: 'idp-b', host: '127.0.0.3' },
    ],
    sps: [{ client_id: 'sp-1', client_secret: 'sp-1-secret-0123456789-0123456789-abcdef' }],
  });
});

afterAll(() => federation?.close());

describe.runIf(shared)('two hub instances', () => {
  it('complete a login whose hops alternate between them, back-channel calls included', async () => {
    const config = await spClient(federation, 'sp-1');
    const request = await authorizeRequest(federation, config);
    const citizen = await new Citizen(request).go(request.url);
    const before = [...federation.hits()];
    const { idToken, tokens } = await completeLogin(
      federation,
      { config, request, citizen },
      { idp: 'idp-a' },
    );
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
    expect(idToken.acr).toBe('eidas1');
    expect(userinfo.sub).toBe(idToken.sub);
    const hits = federation.hits();
    // Both instances served several steps of this one login.
    expect((hits[0] ?? 0) - (before[0] ?? 0)).toBeGreaterThan(2);
    expect((hits[1] ?? 0) - (before[1] ?? 0)).toBeGreaterThan(2);
  });

  it('publish the same JWKS', async () => {
    const [a, b] = federation.hubs;
    const jwks = async (hub: typeof a) => (await hub?.app.inject({ url: '/jwks' }))?.json();
    expect(await jwks(a)).toEqual(await jwks(b));
  });

  it('see an IdP disabled through one of them within 5 seconds on the other', async () => {
    const [a, b] = federation.hubs;
    if (!a || !b) throw new Error('two instances expected');
    expect(b.registry.identityProvider('idp-b')).toBeDefined();
    await a.sql.query('update identity_providers set active = false where uid = $1', ['idp-b']);
    const started = Date.now();
    while (b.registry.identityProvider('idp-b') && Date.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(b.registry.identityProvider('idp-b')).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
