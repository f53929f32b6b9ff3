// The tampering front the SP integration recipes are checked against: the SP's own openid-client,
// verifying signatures as the recipes do, refuses an id_token and a userinfo JWT altered on the way.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Citizen } from '../support/citizen.ts';
import { authorizeRequest, type Federation, spClient, startFederation } from '../support/federation.ts';
import { completeLogin } from '../support/sp-login.ts';

let federation: Federation;

beforeAll(async () => {
  federation = await startFederation({
    idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
    sps: [{ client_id: 'sp-1', client_secret: 'sp-1-secret-0123456789-0123456789-abcdef' }],
    tampering: true,
  });
});

afterAll(() => federation?.close());

async function login() {
  const config = await spClient(federation, 'sp-1');
  const request = await authorizeRequest(federation, config);
  const citizen = await new Citizen(request).go(request.url);
  return completeLogin(federation, { config, request, citizen }, { idp: 'idp-a' });
}

const jwks = () => createRemoteJWKSet(new URL(`${federation.issuer}/jwks`));

it('passes everything through, and breaks the next id_token or userinfo signature when asked', async () => {
  const sound = await login();
  await jwtVerify(String(sound.tokens.id_token), jwks());

  // The test SP (openid-client, signatures checked) refuses the token response.
  federation.tamper?.tamperNext('id_token');
  await expect(login()).rejects.toThrow(/invalid response/);

  federation.tamper?.tamperNext('userinfo');
  const response = await fetch(`${federation.issuer}/userinfo`, {
    headers: { authorization: `Bearer ${sound.tokens.access_token}` },
  });
  await expect(jwtVerify(await response.text(), jwks())).rejects.toThrow(/signature/);
  expect(federation.tamper?.altered).toEqual(['id_token', 'userinfo']);
});
