// The short-lived store (Redis) lost mid-login: no citizen is stranded. A login starting then is
// sent back to its SP with `temporarily_unavailable` (R5003); one already on the hub's pages gets
// the error page with a link back to its SP, from the browser's sealed copy of the way back (the
// login record, in the store, cannot tell it); and once the store is back, logins complete again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryKv, type Kv } from '../../src/store/kv.ts';
import { createRedisKv } from '../../src/store/kv-redis.ts';
import { Citizen } from '../support/citizen.ts';
import { authorizeRequest, type Federation, spClient, startFederation } from '../support/federation.ts';
import { completeLogin } from '../support/sp-login.ts';

const outage = { on: false };

/** The store, failing every operation while `outage.on` (as ioredis does once Redis is gone). */
function breakable(kv: Kv): Kv {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, method] of Object.entries(kv) as Array<
    [string, (...args: unknown[]) => Promise<unknown>]
  >) {
    wrapped[name] = (...args: unknown[]) =>
      outage.on && name !== 'close'
        ? Promise.reject(new Error('Reached the max retries per request limit'))
        : method.apply(kv, args);
  }
  return wrapped as unknown as Kv;
}

let federation: Federation;

beforeAll(async () => {
  federation = await startFederation({
    idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
    sps: [{ client_id: 'sp-a', client_secret: 'sp-a-secret-0123456789-0123456789-abcdef' }],
    kv: async (prefix) =>
      breakable(
        process.env.REDIS_URL ? await createRedisKv(process.env.REDIS_URL, prefix) : createMemoryKv(prefix),
      ),
  });
});

afterAll(async () => {
  outage.on = false;
  await federation?.close();
});

async function startLogin() {
  const config = await spClient(federation, 'sp-a');
  const request = await authorizeRequest(federation, config);
  const citizen = await new Citizen(request).go(request.url);
  return { config, request, citizen };
}

describe('the store lost mid-login', () => {
  it('sends a login starting now back to its SP: temporarily_unavailable, R5003, state and iss', async () => {
    outage.on = true;
    try {
      const { citizen, request } = await startLogin();
      const params = citizen.spParams();
      expect(params.get('error')).toBe('temporarily_unavailable');
      expect(params.get('error_description')).toMatch(/\[R5003\]$/);
      expect(params.get('state')).toBe(request.state);
      expect(params.get('iss')).toBe(federation.issuer);
    } finally {
      outage.on = false;
    }
  });

  it('gives a citizen on the mire the error page with a link back to the SP, needing nothing from the store', async () => {
    const { citizen, request } = await startLogin();
    expect(citizen.currentPage().html).toContain('name="idp"');
    outage.on = true;
    try {
      await citizen.chooseIdp('idp-a');
      const page = citizen.currentPage();
      expect(page.status).toBe(503);
      expect(page.html).toContain('R5003');
      const link = /<a href="([^"]+)" class="button button-primary">/
        .exec(page.html)?.[1]
        ?.replaceAll('&amp;', '&');
      expect(link).toBeDefined();
      const back = new URL(link ?? '');
      expect(`${back.origin}${back.pathname}`).toBe(request.redirectUri);
      expect(back.searchParams.get('error')).toBe('temporarily_unavailable');
      expect(back.searchParams.get('error_description')).toMatch(/\[R5003\]$/);
      expect(back.searchParams.get('state')).toBe(request.state);
      expect(back.searchParams.get('iss')).toBe(federation.issuer);
    } finally {
      outage.on = false;
    }
  });

  it('gives the same way back at the IdP callback, and none to another login’s page', async () => {
    const { citizen, request } = await startLogin();
    await citizen.chooseIdp('idp-a');
    outage.on = true;
    try {
      await citizen.loginAs('standard');
      const page = citizen.currentPage();
      expect(page.status).toBe(503);
      expect(page.html).toContain(`href="${request.redirectUri}?error=temporarily_unavailable`);
      // The cookie belongs to this login: another login's page offers no link from it.
      const other = await citizen.go(`${federation.issuer}/interaction/another-login-uid`);
      expect(other.currentPage().html).not.toContain('class="button button-primary">');
    } finally {
      outage.on = false;
    }
  });

  it('gives a way back to a login whose record the store lost (a Redis restarted empty)', async () => {
    const { citizen, request } = await startLogin();
    const uid = citizen.currentPage().url.pathname.split('/').pop() ?? '';
    await federation.hub.kv.del([`login:${uid}`]);
    await citizen.chooseIdp('idp-a');
    const page = citizen.currentPage();
    expect(page.html).toContain('R4003');
    const link = /<a href="([^"]+)" class="button button-primary">/
      .exec(page.html)?.[1]
      ?.replaceAll('&amp;', '&');
    const back = new URL(link ?? 'http://missing.invalid/');
    expect(`${back.origin}${back.pathname}`).toBe(request.redirectUri);
    expect(back.searchParams.get('error')).toBe('login_required');
    expect(back.searchParams.get('error_description')).toMatch(/\[R4003\]$/);
    expect(back.searchParams.get('state')).toBe(request.state);
  });

  it('lets logins complete again once the store is back', async () => {
    const login = await startLogin();
    const { idToken } = await completeLogin(federation, login, { idp: 'idp-a' });
    expect(idToken.sub).toMatch(/^[0-9a-f]{64}$/);
  });
});
