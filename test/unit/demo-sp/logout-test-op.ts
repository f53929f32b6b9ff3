// An OpenID Provider (oidc-provider) standing in for the hub in the back-channel logout tests: as
// test-op.ts, but its ES256 key is the test's (so that the test can sign logout tokens the demo SP
// must accept, checked against the OP's own /jwks over HTTP), it puts `sid` in the id_tokens and it
// sends its own logout tokens (oidc-provider's back-channel logout) when a session ends at it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, decodeJwt, exportJWK, generateKeyPair, type JWTPayload } from 'jose';
import Provider from 'oidc-provider';
import { createMemoryAdapter } from '../../../src/mock-idp/adapter.ts';
import { closeServer, FICTITIOUS_PERSON } from './test-op.ts';

export interface LogoutTestOpClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string;
}

export interface LogoutTestOp {
  readonly issuer: string;
  /** The OP's signing key (private), and its kid in the OP's JWKS. */
  readonly signingKey: CryptoKey;
  readonly kid: string;
  /** The claims of every id_token the OP issued, in order. */
  readonly idTokens: JWTPayload[];
  /** The outcome of each back-channel logout the OP itself sent. */
  readonly backchannel: Array<{ ok: boolean; sid: string; error?: string }>;
  close(): Promise<void>;
}

export async function startLogoutTestOp(host: string, client: LogoutTestOpClient): Promise<LogoutTestOp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const issuer = `http://${host}:${(server.address() as AddressInfo).port}`;
  const kid = 'logout-test-es256';
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const idTokens: JWTPayload[] = [];
  const backchannel: LogoutTestOp['backchannel'] = [];

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: client.redirectUris,
        post_logout_redirect_uris: client.postLogoutRedirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_post',
        id_token_signed_response_alg: 'ES256',
        userinfo_signed_response_alg: 'ES256',
        backchannel_logout_uri: client.backchannelLogoutUri,
        backchannel_logout_session_required: true,
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' }] },
    features: {
      devInteractions: { enabled: false },
      jwtUserinfo: { enabled: true },
      backchannelLogout: { enabled: true },
    },
    acrValues: ['eidas1'],
    scopes: ['openid', 'identite_pivot', 'email'],
    claims: {
      openid: ['sub'],
      identite_pivot: ['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry'],
      email: ['email'],
    },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ ...FICTITIOUS_PERSON, sub }),
    }),
    cookies: { keys: ['logout-test-op-cookie-key-at-least-32-chars'] },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // One store per OP instance (oidc-provider's default store is process-wide and warns).
    adapter: createMemoryAdapter(),
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 600,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
    },
    // oidc-provider refuses loopback addresses for its outgoing requests (SSRF): the demo SP is on one.
    fetch: (url, init) => {
      const { dispatcher: _ssrfGuard, ...options } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, options);
    },
  });

  provider.on('backchannel.success', (_ctx, _client, _accountId, sid: string) => {
    backchannel.push({ ok: true, sid });
  });
  provider.on('backchannel.error', (_ctx, err: Error, _client, _accountId, sid: string) => {
    backchannel.push({ ok: false, sid, error: err.message });
  });

  provider.use(async (ctx, next) => {
    await next();
    const body: unknown = ctx.body;
    if (ctx.path === '/token' && typeof body === 'object' && body !== null && 'id_token' in body) {
      idTokens.push(decodeJwt(String(body.id_token)));
    }
  });

  // Logs the fictitious person in at once and grants what was asked.
  provider.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/interaction/')) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const accountId = FICTITIOUS_PERSON.sub;
    const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    ctx.respond = false;
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { login: { accountId, acr: 'eidas1', amr: ['pwd'] }, consent: { grantId: await grant.save() } },
      { mergeWithLastSubmission: false },
    );
  });
  server.on('request', provider.callback());

  return { issuer, signingKey: privateKey, kid, idTokens, backchannel, close: () => closeServer(server) };
}
