// A hub whose federation holds a client oidc-provider would refuse at every login does not start:
// one line names the entry and the field, and the registry is left as it was.
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { createHub } from '../../src/hub.ts';

it('refuses to start on an SP oidc-provider would refuse, naming it and its field', async () => {
  const config = loadConfig({
    DEMO: 'false',
    ISSUER: 'http://127.0.0.1:1',
    SUB_SECRET: 'federation-start-sub-secret-0123456789abcdef',
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    COOKIE_KEYS: randomBytes(32).toString('hex'),
  });
  const sp = {
    client_id: 'sp-fragment',
    client_secret: 'a-secret-of-at-least-thirty-two-characters',
    client_name: 'SP',
    redirect_uris: ['https://sp.example/callback#fragment'],
    scope: 'openid',
  };
  const started = createHub({
    config: { ...config, databaseUrl: undefined, redisUrl: undefined },
    federation: { serviceProviders: [sp] },
    pgliteDir: null,
  });
  const error = await started.then(
    async (hub) => {
      await hub.close();
      return undefined;
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as Error).message).toBe(
    'federation: serviceProviders[0] (sp-fragment).redirect_uris: redirect_uris must not contain fragments',
  );
});
