// A minimal OpenID Provider (oidc-provider) standing in for the hub: it signs the id_token and the
// userinfo JWT with ES256, logs a fictitious person in at once and grants what was asked.
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type InteractionResults } from 'oidc-provider';
import { createMemoryAdapter } from '../../../src/mock-idp/adapter.ts';

/** Fictitious person: no real identity. */
export const FICTITIOUS_PERSON = {
  sub: 'test-account-0001',
  given_name: 'Camille Élise',
  family_name: 'Fictivaz',
  birthdate: '1990-04-12',
  gender: 'female',
  birthplace: '75056',
  birthcountry: '99100',
  email: 'camille.fictivaz@example.test',
} as const;

export interface TestOpClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
}

export interface TestOp {
  readonly issuer: string;
  /** The next interaction ends with this OAuth error instead of a login (as when a citizen cancels). */
  failNextLogin(error: string, description: string): void;
  /** Corrupts the signature of the next id_token or userinfo JWT the OP sends. */
  tamperNext(target: 'id_token' | 'userinfo'): void;
  close(): Promise<void>;
}

export async function startTestOp(host: string, client: TestOpClient): Promise<TestOp> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const issuer = `http://${host}:${(server.address() as AddressInfo).port}`;
  let nextFailure: { error: string; error_description: string } | undefined;
  let nextTamper: 'id_token' | 'userinfo' | undefined;

  const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
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
      },
    ],
    jwks: { keys: [{ ...signingKey, kid: 'test-es256', alg: 'ES256', use: 'sig' }] },
    features: { devInteractions: { enabled: false }, jwtUserinfo: { enabled: true } },
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
    cookies: { keys: ['test-op-cookie-key-at-least-32-characters'] },
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
  });

  provider.use(async (ctx, next) => {
    await next();
    if (nextTamper === 'userinfo' && ctx.path === '/me' && typeof ctx.body === 'string') {
      ctx.body = corruptSignature(ctx.body);
      nextTamper = undefined;
    }
    const body: unknown = ctx.body;
    if (nextTamper === 'id_token' && ctx.path === '/token' && hasIdToken(body)) {
      body.id_token = corruptSignature(body.id_token);
      nextTamper = undefined;
    }
  });

  provider.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/interaction/')) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let result: InteractionResults;
    if (nextFailure) {
      result = nextFailure;
      nextFailure = undefined;
    } else {
      const accountId = FICTITIOUS_PERSON.sub;
      const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
      grant.addOIDCScope(String(details.params.scope));
      result = {
        login: { accountId, acr: 'eidas1', amr: ['pwd'] },
        consent: { grantId: await grant.save() },
      };
    }
    ctx.respond = false; // interactionFinished writes the redirect itself
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  });
  server.on('request', provider.callback());

  return {
    issuer,
    failNextLogin(error, description) {
      nextFailure = { error, error_description: description };
    },
    tamperNext(target) {
      nextTamper = target;
    },
    close: () => closeServer(server),
  };
}

function hasIdToken(body: unknown): body is { id_token: string } {
  return typeof body === 'object' && body !== null && 'id_token' in body && typeof body.id_token === 'string';
}

/** Same JWT, one signature character changed: only a signature check can tell. */
function corruptSignature(jwt: string): string {
  const at = jwt.length - 10;
  return `${jwt.slice(0, at)}${jwt[at] === 'A' ? 'B' : 'A'}${jwt.slice(at + 1)}`;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.closeAllConnections();
    server.close((err) => (err ? reject(err) : resolve()));
  });
}

/** A port free right now on `host` (the demo SP must know its URL before it listens). */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return port;
}
