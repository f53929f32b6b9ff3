// DataPass habilitations over real HTTP: a habilitation in force lets an SP ask its scopes (and
// the claims reach userinfo), an expired one is refused at /authorize (R1005), and the public
// register at /habilitations lists both, in JSON and in HTML, linked from the consent page.
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Citizen, expectSpError } from '../support/citizen.ts';
import { authorizeRequest, type Federation, spClient, startFederation } from '../support/federation.ts';
import { redeemCode } from '../support/sp-login.ts';

let federation: Federation;

const secret = (id: string) => `${id}-secret-0123456789-0123456789-abcdef`;
// Neither birth nor identite_pivot: birthplace can only come from a habilitation.
const OWN_SCOPE = 'openid given_name family_name email';
// A month ahead in UTC is weeks ahead in Paris whatever the hour.
const IN_A_MONTH = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
const LONG_AGO = '2020-01-31';

beforeAll(async () => {
  federation = await startFederation({
    idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
    sps: [
      {
        client_id: 'sp-granted',
        client_secret: secret('sp-granted'),
        scope: OWN_SCOPE,
        habilitations: [{ id: 'datapass-granted', scopes: ['birth'], expires_at: IN_A_MONTH }],
      },
      {
        client_id: 'sp-expired',
        client_secret: secret('sp-expired'),
        scope: OWN_SCOPE,
        habilitations: [{ id: 'datapass-expired', scopes: ['birth'], expires_at: LONG_AGO }],
      },
    ],
  });
});

afterAll(() => federation?.close());

/** Sends the citizen to /authorize for `spId`, asking `scope`. */
async function attempt(spId: string, scope: string) {
  const config = await spClient(federation, spId);
  const request = await authorizeRequest(federation, config, { scope });
  const citizen = await new Citizen(request).go(request.url);
  return { config, request, citizen };
}

function register(path = '/habilitations', accept?: string) {
  return fetch(`${federation.issuer}${path}`, accept ? { headers: { accept } } : {});
}

describe('an SP with a habilitation in force', () => {
  it('may ask its scopes: the consent lists them and links to the register, userinfo has birthplace', async () => {
    const { config, request, citizen } = await attempt('sp-granted', 'openid email birth');
    await citizen.chooseIdp('idp-a');
    await citizen.loginAs('standard');
    const consent = citizen.currentPage();
    expect(consent.html).toContain('Transmission de vos données');
    expect(consent.html).toContain('<li>Lieu de naissance</li>');
    const link = /<a href="([^"]*)">Voir les habilitations de Service sp-granted<\/a>/.exec(consent.html);
    expect(link?.[1]).toBe('/habilitations#sp-granted');
    const target = new URL(link?.[1] ?? '', consent.url);
    expect(`${target.origin}${target.pathname}`).toBe(`${federation.issuer}/habilitations`);
    expect(await (await fetch(target)).text()).toContain('id="sp-granted"');

    await citizen.consent('accept');
    expect(citizen.spParams().get('state')).toBe(request.state);
    const tokens = await redeemCode({ config, request, citizen });
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, tokens.claims()?.sub ?? '');
    expect(userinfo).toMatchObject({ email: 'camille.martin@courriel.example', birthplace: '75056' });
    expect(userinfo.birthcountry).toBeTruthy();
    // Asked for by no scope of this request: not released.
    expect(userinfo).not.toHaveProperty('given_name');
  });
});

describe('an SP whose habilitation expired', () => {
  it('is refused its scopes at /authorize: invalid_scope with R1005, at its redirect_uri', async () => {
    const { citizen, request } = await attempt('sp-expired', 'openid email birth');
    expectSpError(citizen.spParams(), {
      error: 'invalid_scope',
      code: 'R1005',
      iss: federation.issuer,
      state: request.state,
    });
  });

  it('still may ask its own scope', async () => {
    const { citizen } = await attempt('sp-expired', 'openid email');
    expect(citizen.currentPage().status).toBe(200);
    expect(citizen.currentPage().html).toContain('Choisissez un compte');
  });
});

describe('the register', () => {
  it('answers JSON to Accept: application/json: every active SP, its own scope, each habilitation in force or not', async () => {
    const response = await register('/habilitations', 'application/json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await response.text();
    expect(text).not.toContain('secret');
    expect(JSON.parse(text)).toEqual({
      serviceProviders: [
        {
          client_id: 'sp-expired',
          name: 'Service sp-expired',
          scope: OWN_SCOPE,
          habilitations: [
            { id: 'datapass-expired', scopes: ['birth'], expires_at: LONG_AGO, in_force: false },
          ],
        },
        {
          client_id: 'sp-granted',
          name: 'Service sp-granted',
          scope: OWN_SCOPE,
          habilitations: [
            { id: 'datapass-granted', scopes: ['birth'], expires_at: IN_A_MONTH, in_force: true },
          ],
        },
      ],
    });
  });

  it('answers HTML to a browser, one entry per SP with its client_id as id, in French or English', async () => {
    const browserAccept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    const french = await register('/habilitations', browserAccept);
    expect(french.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await french.text();
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain('id="sp-granted"');
    expect(html).toContain('id="sp-expired"');
    expect(html).toContain('En vigueur');
    expect(html).toContain('Expirée');
    expect(html).toContain(`<time datetime="${LONG_AGO}">31 janvier 2020</time>`);
    expect(html).not.toContain('secret');

    const english = await (
      await register('/habilitations?lang=en', 'application/json;q=0.5, text/html')
    ).text();
    expect(english).toContain('<html lang="en">');
    expect(english).toContain('id="sp-granted"');
    expect(english).toContain('In force');
    expect(english).toContain('31 January 2020');
  });

  it('answers HTML when the Accept header asks for anything or nothing', async () => {
    for (const accept of [undefined, '*/*']) {
      const response = await register('/habilitations', accept);
      expect(response.headers.get('content-type'), String(accept)).toMatch(/^text\/html/);
    }
  });
});
