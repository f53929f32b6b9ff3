import { describe, expect, it } from 'vitest';
import { isLoopback, parseOptions } from '../../../src/demo-sp/options.ts';

const base = {
  url: 'http://localhost:3002',
  issuer: 'http://localhost:3000',
  clientId: 'demo-sp',
  clientSecret: 's',
};

describe('demo SP options', () => {
  it('applies the FC v2 defaults and derives the redirect and post-logout URIs from the url', () => {
    const settings = parseOptions(base);
    expect(settings).toMatchObject({
      redirectUri: 'http://localhost:3002/callback',
      postLogoutRedirectUri: 'http://localhost:3002/',
      scope: 'openid identite_pivot email',
      acrValues: 'eidas1',
      alg: 'ES256',
      tokenEndpointAuthMethod: 'client_secret_post',
      cookieName: 'demosp_session',
      cookieSecure: false,
      allowHttpIssuer: true,
      listenHost: 'localhost',
      listenPort: 3002,
    });
  });

  it('refuses an http issuer or url outside loopback', () => {
    expect(() => parseOptions({ ...base, issuer: 'http://hub.example' })).toThrow(/issuer must be https/);
    expect(() => parseOptions({ ...base, url: 'http://sp.example' })).toThrow(/url must be https/);
  });

  it('puts the data provider resource below its URL, and refuses one in http outside loopback', () => {
    expect(parseOptions(base).dataProviderResource).toBeUndefined();
    const local = parseOptions({ ...base, dataProviderUrl: 'http://localhost:3004' });
    expect(local.dataProviderResource?.href).toBe('http://localhost:3004/v1/quotient-familial');
    const prefixed = parseOptions({ ...base, dataProviderUrl: 'https://api.example/cnaf/?x=1' });
    expect(prefixed.dataProviderResource?.href).toBe('https://api.example/cnaf/v1/quotient-familial');
    expect(() => parseOptions({ ...base, dataProviderUrl: 'http://api.example' })).toThrow(
      /dataProviderUrl must be https/,
    );
  });

  it('accepts https anywhere, with a Secure cookie and no insecure requests', () => {
    const settings = parseOptions({ ...base, url: 'https://sp.example', issuer: 'https://hub.example' });
    expect(settings.cookieSecure).toBe(true);
    expect(settings.allowHttpIssuer).toBe(false);
    expect(settings.listenPort).toBe(443);
  });

  it('refuses a url with a path, a scope without openid and a cookie name that is not a token', () => {
    expect(() => parseOptions({ ...base, url: 'http://localhost:3002/sp' })).toThrow(/origin/);
    expect(() => parseOptions({ ...base, scope: 'identite_pivot' })).toThrow(/scope/);
    expect(() => parseOptions({ ...base, cookieName: 'a;b' })).toThrow(/cookieName/);
  });

  it('treats localhost, 127.0.0.0/8 and ::1 as loopback, and nothing else', () => {
    for (const url of ['http://localhost', 'http://127.0.0.5:1', 'http://[::1]:3000']) {
      expect(isLoopback(new URL(url))).toBe(true);
    }
    for (const url of ['http://127.0.0.1.example', 'http://10.0.0.1', 'http://localhost.example']) {
      expect(isLoopback(new URL(url))).toBe(false);
    }
  });
});
