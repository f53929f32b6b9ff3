// Threat: one address (a script, a botnet node) or one client floods the hub. Over its limit a
// request is answered 429 with Retry-After before anything is written (no interaction, no store key,
// no event row), while other addresses and clients go on; the refusals are counted in /metrics.
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeRequest, type Federation, spClient, startFederation } from '../support/federation.ts';

const LIMIT = 10;
const secret = (id: string) => `${id}-secret-0123456789-0123456789-abcdef`;
// undici binds the connection's source address with its own `localAddress` option.
const from = (localAddress: string) => new Agent({ localAddress } as ConstructorParameters<typeof Agent>[0]);
const flooder = from('127.0.0.9');
const neighbour = from('127.0.0.10');
const probe = from('127.0.0.12');

let federation: Federation;

beforeAll(async () => {
  federation = await startFederation({
    idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
    sps: [
      { client_id: 'sp-a', client_secret: secret('sp-a') },
      { client_id: 'sp-b', client_secret: secret('sp-b') },
    ],
    env: {
      RATE_LIMIT_PER_ADDRESS: String(LIMIT),
      RATE_LIMIT_PER_CLIENT: String(LIMIT),
      // Long enough that no window ends during the test.
      RATE_LIMIT_WINDOW_SECONDS: '3600',
      RATE_LIMIT_EXEMPT: '127.0.0.12',
    },
  });
});

afterAll(async () => {
  await federation?.close();
  await Promise.all([flooder.close(), neighbour.close(), probe.close()]);
});

const get = (url: URL | string, dispatcher: Agent) => fetch(url, { dispatcher, redirect: 'manual' });

async function storeCommands(): Promise<number> {
  const text = await (await fetch(`${federation.issuer}/metrics`)).text();
  return Number(/^relais_redis_commands_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

async function eventRows(): Promise<number> {
  await federation.hub.events.flush();
  const rows = await federation.hub.sql.query<{ n: string }>('select count(*) as n from events');
  return Number(rows[0]?.n);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Until the counted store commands and the stored events stop moving (events are written in batches). */
async function settle(): Promise<[number, number]> {
  let last: [number, number] = [Number.NaN, Number.NaN];
  for (let i = 0; i < 20; i++) {
    await pause(600);
    const now: [number, number] = [await storeCommands(), await eventRows()];
    if (now[0] === last[0] && now[1] === last[1]) return now;
    last = now;
  }
  throw new Error('the hub never settled');
}

describe('per client address, on the citizen’s routes', () => {
  it('refuses a flood of /authorize with 429 and Retry-After, having written nothing', async () => {
    const request = await authorizeRequest(federation, await spClient(federation, 'sp-a'));
    for (let i = 0; i < LIMIT; i++) expect((await get(request.url, flooder)).status).toBe(303);
    const [commands, events] = await settle();
    for (let i = 0; i < 2 * LIMIT; i++) {
      const refused = await get(request.url, flooder);
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(3600);
      expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
      const page = await refused.text();
      expect(page).toContain('R5001');
      expect(page).toContain('Trop de demandes');
    }
    expect(await settle()).toEqual([commands, events]);
  });

  it('counts /authorize however it is reached: with a trailing slash, or POSTed', async () => {
    const request = await authorizeRequest(federation, await spClient(federation, 'sp-a'));
    const slashed = new URL(request.url);
    slashed.pathname = '/authorize/';
    expect((await get(slashed, flooder)).status).toBe(429);
    const posted = await fetch(`${federation.issuer}/authorize`, {
      dispatcher: flooder,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: request.url.searchParams,
      redirect: 'manual',
    });
    // The POST only turns into the GET: that GET is what is counted, and refused.
    expect(posted.status).toBe(303);
    expect(
      (await get(new URL(posted.headers.get('location') ?? '', federation.issuer), flooder)).status,
    ).toBe(429);
  });

  it('refuses the flooder on every citizen route, not only /authorize', async () => {
    const interaction = await get(`${federation.issuer}/interaction/some-login`, flooder);
    expect(interaction.status, await interaction.clone().text()).toBe(429);
    const callback = await get(`${federation.issuer}/idp/callback?state=x&code=y`, flooder);
    expect(callback.status).toBe(429);
    const form = await fetch(`${federation.issuer}/interaction/some-login/idp`, {
      dispatcher: flooder,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'idp=idp-a&csrf=x',
      redirect: 'manual',
    });
    expect(form.status).toBe(429);
    expect(form.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('lets other addresses log in meanwhile, and never limits an exempt one', async () => {
    const request = await authorizeRequest(federation, await spClient(federation, 'sp-a'));
    const neighbourAnswer = await get(request.url, neighbour);
    expect(neighbourAnswer.status).toBe(303);
    expect(neighbourAnswer.headers.get('location')).toMatch(/\/interaction\//);
    for (let i = 0; i < 3 * LIMIT; i++) expect((await get(request.url, probe)).status).toBe(303);
  });

  it('counts the refusals in /metrics, under a fixed set of route labels', async () => {
    // A made-up path is no citizen route: not counted, and never a label of its own.
    expect((await get(`${federation.issuer}/idp/callbackjunk-0123`, flooder)).status).toBe(404);
    const text = await (await fetch(`${federation.issuer}/metrics`)).text();
    expect(text).not.toContain('junk-0123');
    const routes = new Set(
      [...text.matchAll(/relais_rate_limited_total\{[^}]*route="([^"]+)"/g)].map((m) => m[1]),
    );
    for (const route of routes)
      expect(['authorize', 'interaction', 'idp_callback', 'logout', 'back_channel', 'token']).toContain(
        route,
      );
    const refused = Number(
      /relais_rate_limited_total\{limit="address",route="authorize"\} (\d+)/.exec(text)?.[1],
    );
    expect(refused).toBeGreaterThanOrEqual(2 * LIMIT);
  });
});

describe('per client_id, on the back channel', () => {
  // The back channel is also counted per address (at the client limit): spread over a few.
  const senders = ['127.0.0.13', '127.0.0.14', '127.0.0.15', '127.0.0.16'].map(from);
  afterAll(() => Promise.all(senders.map((agent) => agent.close())));
  const token = (clientId: string, dispatcher: Agent | undefined) =>
    fetch(`${federation.issuer}/token`, {
      method: 'POST',
      ...(dispatcher ? { dispatcher } : {}),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: 'made-up-code',
        redirect_uri: federation.sps.get(clientId)?.redirect_uris[0] ?? '',
        client_id: clientId,
        client_secret: secret(clientId),
      }),
    });

  it('answers 429 JSON with Retry-After past the client’s limit, whatever address it comes from', async () => {
    for (let i = 0; i < LIMIT; i++) {
      // Spread over addresses: the client's count is one.
      const answer = await token('sp-b', senders[i % senders.length]);
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { error: string }).error).toBe('invalid_grant');
    }
    const refused = await token('sp-b', senders[0]);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await refused.json()) as { error: string; error_description: string };
    expect(body.error).toBe('temporarily_unavailable');
    expect(body.error_description).toMatch(/\[R5001\]$/);
  });

  it('does not let failed attempts use up an SP’s allowance: a client_id is public', async () => {
    const attacker = from('127.0.0.17');
    for (let i = 0; i < 3 * LIMIT; i++) {
      const answer = await fetch(`${federation.issuer}/token`, {
        method: 'POST',
        dispatcher: attacker,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: 'made-up-code',
          redirect_uri: federation.sps.get('sp-a')?.redirect_uris[0] ?? '',
          client_id: 'sp-a',
          client_secret: 'not-the-secret-0123456789-0123456789',
        }),
      });
      // Wrong secret: 401 until the attacker's own address is over its back-channel limit.
      expect([401, 429]).toContain(answer.status);
    }
    await attacker.close();
    const answer = await token('sp-a', senders[2]);
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('leaves the other clients alone', async () => {
    const answer = await token('sp-a', senders[1]);
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: string }).error).toBe('invalid_grant');
  });
});

describe.runIf(process.env.REDIS_URL)('shared by every instance through Redis', () => {
  let pair: Federation;
  beforeAll(async () => {
    pair = await startFederation({
      idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
      sps: [{ client_id: 'sp-a', client_secret: secret('sp-a') }],
      instances: 2,
      env: { RATE_LIMIT_PER_ADDRESS: String(LIMIT), RATE_LIMIT_WINDOW_SECONDS: '3600' },
    });
  });
  afterAll(() => pair?.close());

  it('refuses at one instance a flood the other one counted', async () => {
    const instance = (i: number) => {
      const address = pair.hubs[i]?.app.server.address();
      if (!address || typeof address !== 'object') throw new Error('instance not listening');
      return `http://127.0.0.1:${address.port}`;
    };
    const request = await authorizeRequest(pair, await spClient(pair, 'sp-a'));
    const at = (i: number) => new URL(`${instance(i)}${request.url.pathname}${request.url.search}`);
    for (let i = 0; i < LIMIT; i++) expect((await get(at(0), flooder)).status).toBe(303);
    await pause(600);
    const second = await get(at(1), flooder);
    // The second instance learns the first one's counts with its own first flush: one more at most.
    if (second.status === 303) {
      await pause(600);
      expect((await get(at(1), flooder)).status).toBe(429);
    } else {
      expect(second.status).toBe(429);
    }
  });
});
