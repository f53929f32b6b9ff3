import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createMockIdp,
  MOCK_AGENTS,
  MOCK_IDENTITIES,
  type MockIdp,
  type MockIdpOptions,
} from '../../../src/mock-idp/index.ts';
import { Browser, confirmLogout, formAction } from '../../support/browser.ts';
import {
  authorize,
  discover,
  freePort,
  HOST,
  jwks,
  login,
  POST_LOGOUT_URI,
  REDIRECT_URI,
  testClient,
} from './flow.ts';

const started: MockIdp[] = [];

async function startIdp(options: Omit<MockIdpOptions, 'issuer'>): Promise<MockIdp> {
  const idp = await createMockIdp({ issuer: `http://${HOST}:${await freePort()}`, ...options });
  await idp.listen();
  started.push(idp);
  return idp;
}

afterAll(async () => {
  await Promise.all(started.map((idp) => idp.close()));
});

const standard = MOCK_IDENTITIES.find((identity) => identity.id === 'standard')!;
const bornAbroad = MOCK_IDENTITIES.find((identity) => identity.id === 'born-abroad')!;
const agent = MOCK_AGENTS.find((candidate) => candidate.id === 'agent')!;
const PROCONNECT_SCOPE =
  'openid given_name usual_name email uid siret siren phone organizational_unit belonging_population chorusdt';

describe('mock IdP with the defaults (ES256 id_token, JSON userinfo)', () => {
  const rp = testClient({ client_name: '<b>Démo</b> & co' });
  let idp: MockIdp;
  let config: client.Configuration;

  beforeAll(async () => {
    idp = await startIdp({ clients: [rp] });
    config = await discover(idp, rp);
  });
  afterEach(() => idp.setMisbehaviour({}));

  it('advertises a FranceConnect-style IdP in its discovery document', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(idp.issuer);
    expect(metadata.acr_values_supported).toEqual(['eidas1', 'eidas2', 'eidas3']);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.id_token_signing_alg_values_supported).toEqual(
      expect.arrayContaining(['HS256', 'RS256', 'ES256']),
    );
    expect(metadata.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'given_name', 'birthplace', 'email']),
    );
    expect(metadata.end_session_endpoint).toBe(idp.endpoints.end_session_endpoint);
    expect(metadata.token_endpoint).toBe(idp.endpoints.token_endpoint);
  });

  it('shows a login page naming the client, with one button per identity and a cancel button', async () => {
    const { page } = await authorize(config, { identity: 'standard' });
    expect(page.html).toContain('<title>Mock IdP — connexion</title>');
    expect(page.html).toContain('&lt;b&gt;Démo&lt;/b&gt; &amp; co');
    expect(page.html).not.toContain('<b>Démo</b>');
    for (const identity of MOCK_IDENTITIES) {
      expect(page.html).toContain(
        `<button class="identity" type="submit" name="identity" value="${identity.id}">`,
      );
    }
    expect(formAction(page.html, page.url, 'Refuser').pathname).toMatch(/^\/interaction\/[\w-]+\/abort$/);
  });

  it('shows the login_hint it was given and records the authorization query', async () => {
    const { page } = await authorize(
      config,
      { identity: 'standard' },
      { login_hint: 'camille.martin@courriel.example' },
    );
    expect(page.html).toContain('Connexion demandée pour : <strong>camille.martin@courriel.example</strong>');
    expect(idp.lastAuthorization()).toMatchObject({
      client_id: rp.client_id,
      login_hint: 'camille.martin@courriel.example',
      acr_values: 'eidas1',
    });
  });

  it('names every cookie with its prefix, so it cannot clobber the hub on the same host', async () => {
    const { browser } = await authorize(config, { identity: 'standard' });
    const names = browser.jar.names(HOST);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name).toMatch(/^mockidp_/);
  });

  it('issues an ES256 id_token that verifies against its JWKS, with the strongest requested acr', async () => {
    const { idToken, claims } = await login(config, 'standard', { acr_values: 'eidas1 eidas2' });
    expect(decodeProtectedHeader(idToken).alg).toBe('ES256');
    const { payload } = await jwtVerify(idToken, createLocalJWKSet(await jwks(idp)), {
      issuer: idp.issuer,
      audience: rp.client_id,
    });
    expect(payload.sub).toBe(standard.sub);
    expect(claims?.acr).toBe('eidas2');
    expect(claims?.amr).toEqual(['pwd', 'mfa']);
  });

  it('answers userinfo with the identité pivot as plain JSON', async () => {
    const { tokens } = await login(config, 'born-abroad');
    const response = await fetch(idp.endpoints.userinfo_endpoint, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, bornAbroad.sub);
    expect(userinfo).toMatchObject({ sub: bornAbroad.sub, ...bornAbroad.claims });
    expect(userinfo.birthplace).toBe('');
  });

  it('ends at the client with access_denied when the citizen cancels', async () => {
    const { callback } = await authorize(config, 'abort');
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('iss')).toBe(idp.issuer);
  });

  it('re-displays the login page when the identity is unknown', async () => {
    const browser = new Browser();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: 's',
      nonce: 'n',
    });
    const landing = await browser.navigate(url, () => false);
    const html = (await landing.response?.text()) ?? '';
    const answer = await browser.request(formAction(html, landing.url, 'name="identity"'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'identity=nobody',
    });
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain('Identité inconnue');
  });

  it('renders its own error page for an unknown client, escaping what the request carried', async () => {
    const url = new URL(idp.endpoints.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: '<script>x</script>',
      response_type: 'code',
      scope: 'openid',
    }).toString();
    const response = await fetch(url);
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('Mock IdP — erreur');
    expect(html).toContain('invalid_client');
    expect(html).not.toContain('<script>x</script>');
  });

  it('answers an interaction without its cookie with an error page, not a crash', async () => {
    const { page } = await authorize(config, { identity: 'standard' });
    const response = await fetch(page.url);
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('Une erreur est survenue');
    expect(html).toContain('invalid_request');
  });

  it('logs out through end_session and returns to the post-logout URI with the state', async () => {
    const { idToken, authorization } = await login(config, 'standard');
    const endSession = client.buildEndSessionUrl(config, {
      id_token_hint: idToken,
      post_logout_redirect_uri: POST_LOGOUT_URI,
      state: 'bye',
    });
    const { landing: done } = await confirmLogout(authorization.browser, endSession, (url) =>
      url.href.startsWith(POST_LOGOUT_URI),
    );
    expect(done.url.searchParams.get('state')).toBe('bye');
  });

  describe('misbehaviours', () => {
    it('badSignature: the id_token no longer verifies', async () => {
      idp.setMisbehaviour({ badSignature: true });
      const { idToken } = await login(config, 'standard');
      await expect(jwtVerify(idToken, createLocalJWKSet(await jwks(idp)))).rejects.toBeInstanceOf(
        joseErrors.JWSSignatureVerificationFailed,
      );
    });

    it('wrongIssuer: the callback carries another iss, which openid-client refuses', async () => {
      idp.setMisbehaviour({ wrongIssuer: true });
      const authorization = await authorize(config, { identity: 'standard' });
      expect(authorization.callback.searchParams.get('iss')).toBe('http://evil.example');
      expect(authorization.callback.searchParams.get('code')).toBeTruthy();
      await expect(
        client.authorizationCodeGrant(config, authorization.callback, {
          pkceCodeVerifier: authorization.codeVerifier,
          expectedState: authorization.state,
        }),
      ).rejects.toSatisfy((error: unknown) => /"iss"/.test(String((error as Error).cause ?? error)));
    });

    it('missingClaim: userinfo lacks that claim', async () => {
      idp.setMisbehaviour({ missingClaim: 'birthplace' });
      const { tokens } = await login(config, 'standard');
      const userinfo = await client.fetchUserInfo(config, tokens.access_token, standard.sub);
      expect(userinfo).not.toHaveProperty('birthplace');
      expect(userinfo.family_name).toBe(standard.claims.family_name);
    });

    it('subMismatch: userinfo sub differs from the id_token sub', async () => {
      idp.setMisbehaviour({ subMismatch: true });
      const { tokens, claims } = await login(config, 'standard');
      expect(claims?.sub).toBe(standard.sub);
      const response = await fetch(idp.endpoints.userinfo_endpoint, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      const userinfo = (await response.json()) as { sub: string; given_name: string };
      expect(userinfo.sub).not.toBe(standard.sub);
      expect(userinfo.given_name).toBe(standard.claims.given_name);
      await expect(client.fetchUserInfo(config, tokens.access_token, standard.sub)).rejects.toThrow(
        /unexpected JSON attribute value/,
      );
    });

    it('acr: forces the delivered level', async () => {
      idp.setMisbehaviour({ acr: 'eidas3' });
      const { claims } = await login(config, 'standard', { acr_values: 'eidas1' });
      expect(claims?.acr).toBe('eidas3');
    });

    it('error: the authorization ends at the client with that error', async () => {
      idp.setMisbehaviour({ error: { error: 'access_denied', error_description: 'refused by test' } });
      const { callback } = await authorize(config, { identity: 'standard' });
      expect(callback.searchParams.get('error')).toBe('access_denied');
      expect(callback.searchParams.get('error_description')).toBe('refused by test');
      expect(callback.searchParams.get('state')).toBeTruthy();
    });

    it('tokenStatus: the token endpoint answers that status with a JSON error', async () => {
      const authorization = await authorize(config, { identity: 'standard' });
      idp.setMisbehaviour({ tokenStatus: 500 });
      const response = await fetch(idp.endpoints.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: authorization.callback.searchParams.get('code') ?? '',
          redirect_uri: REDIRECT_URI,
          client_id: rp.client_id,
          client_secret: rp.client_secret,
        }),
      });
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({ error: 'server_error' });
    });

    it('slowMs: the token endpoint answers late', async () => {
      idp.setMisbehaviour({ slowMs: 300 });
      const authorization = await authorize(config, { identity: 'standard' });
      const started = performance.now();
      await client.authorizationCodeGrant(config, authorization.callback, {
        pkceCodeVerifier: authorization.codeVerifier,
        expectedState: authorization.state,
        expectedNonce: authorization.nonce,
      });
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    });
  });

  it('rotateKeys: new kids replace the old ones and new tokens verify', async () => {
    const before = (await jwks(idp)).keys.map((key) => key.kid);
    await idp.rotateKeys();
    const after = await jwks(idp);
    expect(after.keys).toHaveLength(2);
    for (const key of after.keys) expect(before).not.toContain(key.kid);
    const { idToken } = await login(config, 'standard');
    expect(after.keys.map((key) => key.kid)).toContain(decodeProtectedHeader(idToken).kid);
    await expect(jwtVerify(idToken, createLocalJWKSet(after))).resolves.toBeTruthy();
  });
});

describe('mock IdP with RS256 id_token and RS256 JWT userinfo', () => {
  const rp = testClient({ token_endpoint_auth_method: 'client_secret_basic' });
  let idp: MockIdp;
  let config: client.Configuration;

  beforeAll(async () => {
    idp = await startIdp({ clients: [rp], idTokenAlg: 'RS256', userinfoAlg: 'RS256' });
    config = await discover(idp, rp, 'RS256');
  });

  it('signs both with RS256 keys of its JWKS', async () => {
    const { idToken, tokens } = await login(config, 'very-long-name');
    const keys = createLocalJWKSet(await jwks(idp));
    expect(decodeProtectedHeader(idToken).alg).toBe('RS256');
    await jwtVerify(idToken, keys, { issuer: idp.issuer, audience: rp.client_id });
    const response = await fetch(idp.endpoints.userinfo_endpoint, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(response.headers.get('content-type')).toMatch(/^application\/jwt/);
    const { payload, protectedHeader } = await jwtVerify(await response.text(), keys, {
      issuer: idp.issuer,
      audience: rp.client_id,
    });
    expect(protectedHeader.alg).toBe('RS256');
    const viaClient = await client.fetchUserInfo(config, tokens.access_token, payload.sub ?? '');
    expect(viaClient.family_name).toBe(payload.family_name);
    expect(payload.family_name).toBe("de Castelmoron d'Aubrac-Villefranche-Saint-Hilaire-des-Vignes");
  });
});

describe('mock IdP in the FranceConnect v1 style (HS256, no discovery, eidas1 only)', () => {
  const rp = testClient({ token_endpoint_auth_method: 'client_secret_post' });
  const secret = new TextEncoder().encode(rp.client_secret);
  let idp: MockIdp;
  let config: client.Configuration;

  beforeAll(async () => {
    idp = await startIdp({
      clients: [rp],
      idTokenAlg: 'HS256',
      userinfoAlg: 'HS256',
      acrValues: ['eidas1'],
      discovery: false,
      endSession: false,
    });
    config = new client.Configuration(
      { issuer: idp.issuer, ...idp.endpoints, id_token_signing_alg_values_supported: ['HS256'] },
      rp.client_id,
      { client_secret: rp.client_secret, id_token_signed_response_alg: 'HS256' },
      client.ClientSecretPost(rp.client_secret),
    );
    client.allowInsecureRequests(config);
  });

  it('answers 404 on discovery and exposes no end_session_endpoint', async () => {
    const response = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(404);
    expect(idp.endpoints.end_session_endpoint).toBeUndefined();
  });

  it('signs the id_token and the userinfo JWT with the client secret, at the one level it delivers', async () => {
    const { idToken, tokens } = await login(config, 'accents', { acr_values: 'eidas2' });
    const { payload, protectedHeader } = await jwtVerify(idToken, secret, {
      issuer: idp.issuer,
      audience: rp.client_id,
    });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.acr).toBe('eidas1');
    expect(payload.amr).toEqual(['pwd']);
    const response = await fetch(idp.endpoints.userinfo_endpoint, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    const userinfo = await jwtVerify(await response.text(), secret, { issuer: idp.issuer });
    expect(userinfo.payload.given_name).toBe('Éloïse Hélène');
    expect(decodeJwt(idToken).sub).toBe(userinfo.payload.sub);
  });
});

describe('mock IdP as a ProConnect IdP (population agents)', () => {
  const rp = testClient();
  const emailDomain = 'employeur-fictif.example';
  const emailOf = (local: string): string => `${local}@${emailDomain}`;
  let idp: MockIdp;
  let config: client.Configuration;

  beforeAll(async () => {
    idp = await startIdp({ clients: [rp], population: 'agents', emailDomain });
    config = await discover(idp, rp);
  });
  afterEach(() => idp.setMisbehaviour({}));

  it('advertises the ProConnect claims as scopes', () => {
    const metadata = config.serverMetadata();
    expect(metadata.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'usual_name', 'uid', 'siret', 'siren', 'belonging_population']),
    );
    expect(metadata.claims_supported).toEqual(expect.arrayContaining(['usual_name', 'siret', 'chorusdt']));
  });

  it('lists the agents, not the citizens, on its login page, with their emails at its domain', async () => {
    const { page } = await authorize(config, { identity: 'agent' }, { scope: PROCONNECT_SCOPE });
    for (const each of MOCK_AGENTS) {
      expect(page.html).toContain(
        `<button class="identity" type="submit" name="identity" value="${each.id}">`,
      );
      expect(page.html).toContain(emailOf(each.claims.email));
    }
    expect(page.html).not.toContain('value="standard"');
    expect(page.html).toContain('Prospective &amp; Territoires');
    expect(idp.identities.map((each) => each.claims.email)).toEqual(
      MOCK_AGENTS.map((each) => emailOf(each.claims.email)),
    );
  });

  it('asserts the agent’s ProConnect claims, the email at the configured domain', async () => {
    const { tokens, claims } = await login(config, 'agent', { scope: PROCONNECT_SCOPE });
    expect(claims?.sub).toBe(agent.sub);
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, agent.sub);
    expect(userinfo).toEqual({
      ...agent.claims,
      sub: agent.sub,
      email: 'camille.dupont@employeur-fictif.example',
    });
  });

  it('asserts only the required claims of the minimal agent', async () => {
    const minimal = MOCK_AGENTS.find((each) => each.id === 'agent-minimal')!;
    const { tokens } = await login(config, 'agent-minimal', { scope: PROCONNECT_SCOPE });
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, minimal.sub);
    expect(Object.keys(userinfo).sort()).toEqual([
      'email',
      'given_name',
      'siret',
      'sub',
      'uid',
      'usual_name',
    ]);
    expect(userinfo.email).toBe(emailOf('noe.garnier'));
  });

  it('login_hint: shown, its agent marked, and any agent may still be chosen', async () => {
    const hint = emailOf('ines.bouchard');
    const { authorization, claims } = await login(config, 'agent', {
      scope: PROCONNECT_SCOPE,
      login_hint: hint,
    });
    const { html } = authorization.page;
    expect(html).toContain(`Connexion demandée pour : <strong>${hint}</strong>`);
    expect(html).toContain(
      '<button class="identity hinted" type="submit" name="identity" value="agent-siren-phone" aria-describedby="hint" autofocus>',
    );
    expect(html.match(/class="identity hinted"/g)).toHaveLength(1);
    expect(claims?.sub).toBe(agent.sub);
  });

  it('login_hint: escaped, and no agent marked when no email matches', async () => {
    const { page } = await authorize(
      config,
      { identity: 'agent' },
      { scope: PROCONNECT_SCOPE, login_hint: '<img src=x onerror=alert(1)>@x.example' },
    );
    expect(page.html).toContain(
      'Connexion demandée pour : <strong>&lt;img src=x onerror=alert(1)&gt;@x.example',
    );
    expect(page.html).not.toContain('<img src=x');
    expect(page.html).not.toContain('class="identity hinted"');
  });

  it('lastAuthorization: the query of the last GET /authorize, siret_hint shown and recorded', async () => {
    const fresh = await startIdp({ clients: [rp], population: 'agents' });
    expect(fresh.lastAuthorization()).toBeUndefined();
    const hints = { login_hint: emailOf('camille.dupont'), siret_hint: agent.claims.siret };
    const { page } = await authorize(
      await discover(fresh, rp),
      { identity: 'agent' },
      { scope: PROCONNECT_SCOPE, acr_values: 'eidas2', ...hints },
    );
    expect(page.html).toContain(`Établissement demandé (SIRET) : <strong>${agent.claims.siret}</strong>`);
    expect(fresh.lastAuthorization()).toMatchObject({
      ...hints,
      acr_values: 'eidas2',
      prompt: 'login',
      scope: PROCONNECT_SCOPE,
      redirect_uri: REDIRECT_URI,
    });
    expect(idp.lastAuthorization()?.siret_hint).not.toBe(agent.claims.siret);
  });

  it('gives the agents an email at demo.gouv.fr unless told otherwise', async () => {
    const byDefault = await startIdp({ clients: [rp], population: 'agents' });
    const defaultConfig = await discover(byDefault, rp);
    const minimal = byDefault.identities.find((each) => each.id === 'agent-minimal')!;
    const { tokens } = await login(defaultConfig, 'agent-minimal', { scope: PROCONNECT_SCOPE });
    const userinfo = await client.fetchUserInfo(defaultConfig, tokens.access_token, minimal.sub);
    expect(userinfo.email).toBe('noe.garnier@demo.gouv.fr');
  });

  it('refuses an emailDomain that is not a domain name', async () => {
    await expect(
      createMockIdp({ issuer: idp.issuer, clients: [rp], population: 'agents', emailDomain: 'x@y.example' }),
    ).rejects.toThrow(/emailDomain/);
  });

  describe('misbehaviours', () => {
    it('claims: a spoofed email domain and an invalid siret are asserted, a null claim is dropped', async () => {
      idp.setMisbehaviour({
        claims: { email: 'camille.dupont@usurpateur.example', siret: '91742035800018', phone: null },
      });
      const { tokens } = await login(config, 'agent', { scope: PROCONNECT_SCOPE });
      const userinfo = await client.fetchUserInfo(config, tokens.access_token, agent.sub);
      expect(userinfo.email).toBe('camille.dupont@usurpateur.example');
      expect(userinfo.siret).toBe('91742035800018');
      expect(userinfo).not.toHaveProperty('phone');
      expect(userinfo.usual_name).toBe(agent.claims.usual_name);
      expect(userinfo.sub).toBe(agent.sub);
    });

    it('amr: delivered whatever the level, where a second factor was due', async () => {
      idp.setMisbehaviour({ amr: ['pwd'] });
      const { claims } = await login(config, 'agent', { scope: PROCONNECT_SCOPE, acr_values: 'eidas2' });
      expect(claims?.acr).toBe('eidas2');
      expect(claims?.amr).toEqual(['pwd']);
    });

    it('missingClaim: the agent’s siret is left out', async () => {
      idp.setMisbehaviour({ missingClaim: 'siret' });
      const { tokens } = await login(config, 'agent', { scope: PROCONNECT_SCOPE });
      const userinfo = await client.fetchUserInfo(config, tokens.access_token, agent.sub);
      expect(userinfo).not.toHaveProperty('siret');
      expect(userinfo.siren).toBe(agent.claims.siren);
    });
  });
});
