// Signing key rotation without an outage: `relais keys rotate` publishes the new key at once and
// signs with it only after the delay, so an SP whose JWKS cache is shorter than the delay never
// meets a token signed with a key it does not know; `keys retire` then removes the old one.
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Citizen } from '../support/citizen.ts';
import { relais as relaisCli } from '../support/cli.ts';
import { authorizeRequest, type Federation, spClient, startFederation } from '../support/federation.ts';
import { completeLogin } from '../support/sp-login.ts';

let federation: Federation;

beforeAll(async () => {
  federation = await startFederation({
    idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
    sps: [{ client_id: 'sp-1', client_secret: 'sp-1-secret-0123456789-0123456789-abcdef' }],
  });
});

afterAll(() => federation?.close());

const relais = (...argv: string[]) => relaisCli(federation, ...argv);

async function login() {
  const config = await spClient(federation, 'sp-1');
  const request = await authorizeRequest(federation, config);
  const citizen = await new Citizen(request).go(request.url);
  const { tokens } = await completeLogin(federation, { config, request, citizen }, { idp: 'idp-a' });
  return tokens.id_token as string;
}

describe('signing key rotation', () => {
  it('causes no failed verification at an SP caching the JWKS for less than the delay', async () => {
    // The SP: a JWKS cache of 2 s, and no refetch on an unknown kid (the strictest cache).
    const sp = createRemoteJWKSet(new URL(`${federation.issuer}/jwks`), {
      cacheMaxAge: 2000,
      cooldownDuration: 60_000,
    });
    const verify = (idToken: string) =>
      jwtVerify(idToken, sp, { issuer: federation.issuer, audience: 'sp-1' });
    const before = decodeProtectedHeader(await login()).kid;
    await verify(await login());
    const rotated = await relais('--json', 'keys', 'rotate', '--delay', '4', '--alg', 'ES256');
    expect(rotated.code, rotated.err).toBe(0);
    const next = (JSON.parse(rotated.out) as Array<{ kid: string }>)[0]?.kid;
    const kids = new Set<string | undefined>();
    const started = Date.now();
    while (Date.now() - started < 9000) {
      const idToken = await login();
      kids.add(decodeProtectedHeader(idToken).kid);
      await verify(idToken);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // Both keys signed during the stream, and every token verified.
    expect(kids).toEqual(new Set([before, next]));
    const jwks = (await (await fetch(`${federation.issuer}/jwks`)).json()) as {
      keys: Array<{ kid: string }>;
    };
    expect(jwks.keys.map((key) => key.kid)).toEqual(expect.arrayContaining([before, next]));
  }, 30_000);

  it('refuses to retire the key that signs, and an unknown one', async () => {
    const listed = JSON.parse((await relais('--json', 'keys', 'list')).out) as Array<{
      kid: string;
      use: string;
      active: string;
    }>;
    const signing = listed.find((key) => key.use === 'sig' && key.active === 'yes');
    const refused = await relais('keys', 'retire', String(signing?.kid));
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/still signing/);
    expect((await relais('keys', 'retire', 'no-such-kid')).code).toBe(1);
  });
});
