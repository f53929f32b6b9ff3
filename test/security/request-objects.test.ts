// Request objects are not part of FranceConnect v2: a `request` (a JWT carrying the authorization
// parameters) or a `request_uri` (where the hub would fetch one) could smuggle parameters past the
// FC v2 rules or make the hub fetch an attacker's URL. Both are refused: an error redirect to the
// SP's registered redirect_uri with its code and state, or the hub's 400 page when the client is
// unknown. Discovery says so; the hub never fetches a request_uri; the same request without them
// reaches the mire.
import { createServer, type Server } from 'node:http';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Citizen, expectHubErrorPage, expectSpError } from '../support/citizen.ts';
import {
  authorizeRequest,
  type Federation,
  freePort,
  spClient,
  startFederation,
} from '../support/federation.ts';

let federation: Federation;
let requestUriServer: Server;
let requestUri: string;
let requestUriHits = 0;
const SP = { client_id: 'sp-jar', client_secret: 'sp-jar-secret-0123456789-0123456789-abcdef' };

beforeAll(async () => {
  federation = await startFederation({ idps: [{ uid: 'idp-jar', host: '127.0.0.2' }], sps: [SP] });
  // Where a request_uri points: it would serve a request object, and counts who asks.
  const host = '127.0.0.9';
  const port = await freePort(host);
  requestUriServer = createServer((_req, res) => {
    requestUriHits += 1;
    res.setHeader('content-type', 'application/oauth-authz-req+jwt');
    res.end('eyJhbGciOiJub25lIn0.e30.');
  });
  await new Promise<void>((resolve) => requestUriServer.listen(port, host, resolve));
  requestUri = `http://${host}:${port}/request.jwt`;
});

afterAll(async () => {
  await federation?.close();
  await new Promise((resolve) => requestUriServer?.close(resolve));
});

/** A request object as an attacker would make it: what the FC v2 rules would refuse in the query. */
async function requestObject(claims: Record<string, unknown> = {}) {
  return new SignJWT({
    client_id: SP.client_id,
    scope: 'openid identite_pivot email phone address',
    acr_values: 'eidas3',
    prompt: 'none',
    ...claims,
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(SP.client_id)
    .setAudience(federation.issuer)
    .sign(new TextEncoder().encode(SP.client_secret));
}

async function attempt(params: Record<string, string | undefined>) {
  const config = await spClient(federation, SP.client_id);
  const request = await authorizeRequest(federation, config, params);
  const citizen = await new Citizen(request).go(request.url);
  return { request, citizen };
}

describe('request objects', () => {
  it('are advertised as unsupported in discovery', async () => {
    const discovery = (await (
      await fetch(`${federation.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(discovery.request_parameter_supported ?? false).toBe(false);
    expect(discovery.request_uri_parameter_supported ?? false).toBe(false);
    expect(discovery).not.toHaveProperty('request_object_signing_alg_values_supported');
  });

  it('the same request without them reaches the mire', async () => {
    const { citizen } = await attempt({});
    expect(citizen.currentPage().status).toBe(200);
    expect(citizen.currentPage().html).toContain('Choisissez un compte');
  });

  it('refuses `request` with an error redirect to the SP (request_not_supported, R1013)', async () => {
    const { citizen, request } = await attempt({ request: await requestObject() });
    expectSpError(citizen.spParams(), {
      error: 'request_not_supported',
      code: 'R1013',
      iss: federation.issuer,
      state: request.state,
    });
  });

  it('refuses an unsigned `request` (alg none) the same way', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ client_id: SP.client_id, scope: 'openid' })).toString(
      'base64url',
    );
    const { citizen, request } = await attempt({ request: `${header}.${payload}.` });
    expectSpError(citizen.spParams(), {
      error: 'request_not_supported',
      code: 'R1013',
      iss: federation.issuer,
      state: request.state,
    });
  });

  it('refuses `request_uri` with an error redirect to the SP (request_uri_not_supported, R1013), never fetching it', async () => {
    const { citizen, request } = await attempt({ request_uri: requestUri });
    expectSpError(citizen.spParams(), {
      error: 'request_uri_not_supported',
      code: 'R1013',
      iss: federation.issuer,
      state: request.state,
    });
    expect(requestUriHits).toBe(0);
  });

  it('refuses them sent by POST /authorize too', async () => {
    const config = await spClient(federation, SP.client_id);
    const { url, state, redirectUri } = await authorizeRequest(federation, config, {
      request: await requestObject(),
    });
    const citizen = new Citizen({ redirectUri });
    await citizen.go(`${federation.issuer}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: url.searchParams.toString(),
    });
    expectSpError(citizen.spParams(), {
      error: 'request_not_supported',
      code: 'R1013',
      iss: federation.issuer,
      state,
    });
  });

  for (const parameter of ['request', 'request_uri'] as const) {
    it(`answers \`${parameter}\` from an unknown client with the hub's 400 page, redirecting nowhere (R1013)`, async () => {
      const value = parameter === 'request' ? await requestObject({ client_id: 'sp-unknown' }) : requestUri;
      const { citizen } = await attempt({ client_id: 'sp-unknown', [parameter]: value });
      // oidc-provider refuses the parameter before it looks the client up: a malformed request.
      expectHubErrorPage(citizen, { origin: federation.issuer, status: 400, code: 'R1013' });
      expect(citizen.currentPage().html).not.toContain('/leave');
      expect(requestUriHits).toBe(0);
    });
  }
});
