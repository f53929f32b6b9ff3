// Federation validation at start (issue 15): a value the hub would refuse at every login is
// refused when the federation is read, in one line naming the entry and the field.
import { describe, expect, it } from 'vitest';
import { parseFederation } from '../../../src/config/federation-file.ts';
import { ConfigError } from '../../../src/config/index.ts';
import { assertClientsValid, clientProblems } from '../../../src/op/validate-clients.ts';

const sp = {
  client_id: 'sp-1',
  client_secret: 'a-secret-of-at-least-thirty-two-characters',
  client_name: 'SP',
  redirect_uris: ['https://sp.example/callback'],
  scope: 'openid email',
};
const idp = {
  uid: 'idp-1',
  name: 'IdP',
  issuer: 'https://idp.example',
  client_id: 'relais',
  client_secret: 'an-idp-secret',
};

const message = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('secrets (RFC 6749 Appendix A.2)', () => {
  it('refuses a client secret with a character outside printable ASCII, naming entry and field', () => {
    for (const bad of [`${'x'.repeat(31)}é`, `${'x'.repeat(31)}\u0007`, `${'x'.repeat(31)}\u00a0`]) {
      expect(
        message(() => parseFederation({ serviceProviders: [{ ...sp, client_secret: bad }] }, false)),
      ).toMatch(/serviceProviders\[0\] \(sp-1\)\.client_secret: printable ASCII only/);
    }
    expect(
      message(() => parseFederation({ identityProviders: [{ ...idp, client_secret: 'sécret' }] }, false)),
    ).toMatch(/identityProviders\[0\] \(idp-1\)\.client_secret: printable ASCII only/);
    // Spaces and every printable ASCII character are fine.
    const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
    expect(parseFederation({ serviceProviders: [{ ...sp, client_secret: printable }] }, false)).toBeTruthy();
  });

  it('refuses a sector identifier with a control character (no sub could be derived)', () => {
    expect(
      message(() => parseFederation({ serviceProviders: [{ ...sp, sector_identifier: 'a\u001fb' }] }, false)),
    ).toMatch(/serviceProviders\[0\] \(sp-1\)\.sector_identifier/);
  });
});

describe('what oidc-provider would refuse at every login, refused at start', () => {
  const federation = (entry: Record<string, unknown>) =>
    parseFederation({ serviceProviders: [{ ...sp, ...entry }] }, false);

  it('names a redirect URI with a fragment, and an unreadable jwks', async () => {
    expect(
      await clientProblems(federation({ redirect_uris: ['https://sp.example/cb#x'] }), 'franceconnect'),
    ).toEqual(['serviceProviders[0] (sp-1).redirect_uris: redirect_uris must not contain fragments']);
    const badKeys = federation({
      client_secret: undefined,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ kty: 'EC' }] },
    });
    expect(await clientProblems(badKeys, 'franceconnect')).toEqual([
      expect.stringMatching(/^serviceProviders\[0\] \(sp-1\)\.jwks: /),
    ]);
  });

  it('accepts a sound federation, and stops the start on a bad one with every problem on its line', async () => {
    expect(await clientProblems(federation({}), 'franceconnect')).toEqual([]);
    const two = parseFederation(
      {
        serviceProviders: [
          { ...sp, redirect_uris: ['https://sp.example/cb#x'] },
          { ...sp, client_id: 'sp-2', post_logout_redirect_uris: ['https://sp.example/bye#x'] },
        ],
      },
      false,
    );
    const refused = await assertClientsValid(two, 'franceconnect', 'FEDERATION_FILE f.json').catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ConfigError);
    expect(String((refused as Error).message).split('\n')).toEqual([
      expect.stringMatching(/^FEDERATION_FILE f\.json: serviceProviders\[0\] \(sp-1\)\.redirect_uris: /),
      expect.stringMatching(
        /^FEDERATION_FILE f\.json: serviceProviders\[1\] \(sp-2\)\.post_logout_redirect_uris: /,
      ),
    ]);
  });
});
