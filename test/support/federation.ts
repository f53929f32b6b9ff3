// A whole federation over real HTTP for end-to-end tests: mock IdPs (their own oidc-provider
// instances, on 127.0.0.2, .3, …), the hub on 127.0.0.1, and test SPs driven by openid-client.
// Runs on the embedded stores, or on the real PostgreSQL and Redis when DATABASE_URL/REDIS_URL
// are set (each run in its own schema and key prefix).
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import pg from 'pg';
import { DEMO_IDP } from '../../src/config/demo-federation.ts';
import { loadConfig, type ProfileName } from '../../src/config/index.ts';
import { createHub, type Hub, type HubOptions } from '../../src/hub.ts';
import { createMockIdp, type MockIdp, type MockIdpOptions } from '../../src/mock-idp/index.ts';
import type { Kv } from '../../src/store/kv.ts';
import { type RoundRobin, startRoundRobin } from '../../tools/round-robin.ts';
import { freePort } from './net.ts';
import { startTamperingFront, type TamperingFront } from './tampering-front.ts';

export { freePort } from './net.ts';

export const HUB_HOST = '127.0.0.1';
/** ProConnect: what a test IdP is asked for, and what a test SP is authorised. */
export const PRO_IDP_SCOPE =
  'openid given_name usual_name email uid siret siren phone organizational_unit belonging_population chorusdt';
export const PRO_SP_SCOPE = `${PRO_IDP_SCOPE} idp_id idp_acr`;
export const SP_HOST = '127.0.0.20';

export interface TestIdp extends Partial<Omit<MockIdpOptions, 'issuer' | 'clients'>> {
  uid: string;
  host: string;
  /** Federation entry overrides (acr_values, active, display, order…). */
  entry?: Record<string, unknown>;
  /**
   * The IdP encrypts its id_token and/or userinfo to the hub's `use: enc` key of this algorithm
   * (fetched from the hub's JWKS), and the hub's entry says so.
   */
  encryptsToHub?: { id_token?: 'ECDH-ES' | 'RSA-OAEP-256'; userinfo?: 'ECDH-ES' | 'RSA-OAEP-256' };
}

export interface TestSp {
  client_id: string;
  /** Absent for a private_key_jwt SP (give spClient its key). */
  client_secret?: string;
  [field: string]: unknown;
}

export interface Federation {
  hub: Hub;
  /** Every hub instance (one unless `instances` was asked). */
  hubs: Hub[];
  /** Requests each instance received through the round-robin proxy. */
  hits(): number[];
  /** With `tampering`: breaks the next id_token or userinfo JWT the hub sends an SP. */
  tamper?: TamperingFront;
  /** The hub's environment (for the admin CLI run against the same stores). */
  env: Record<string, string | undefined>;
  issuer: string;
  idps: Map<string, MockIdp>;
  sps: Map<string, TestSp & { redirect_uris: string[]; post_logout_redirect_uris: string[] }>;
  close(): Promise<void>;
}

export async function startFederation(spec: {
  idps: TestIdp[];
  sps: TestSp[];
  /** Several hub instances sharing PostgreSQL and Redis, behind a round-robin proxy at the issuer. */
  instances?: number;
  /**
   * One hub behind a front at the issuer that can break the next id_token or userinfo JWT on its
   * way to the SP (test/support/tampering-front.ts): `federation.tamper`.
   */
  tampering?: boolean;
  /** The federation served (default FranceConnect): ProConnect's IdPs and SPs get its scopes. */
  profile?: ProfileName;
  /** Data providers (introspection, checktoken), as the federation file lists them. */
  dataProviders?: Array<Record<string, unknown>>;
  /** More of the hub's environment (ACCESS_TOKEN_TTL_SECONDS…). */
  env?: Record<string, string>;
  /** The hub's log (createHub's `logger`): the log-hygiene test reads every line. */
  logger?: HubOptions['logger'];
  /**
   * An https issuer, as behind a TLS-terminating proxy: the hub still listens on http at the
   * issuer's host and port (test/support/wire-browser.ts reaches it so). No spClient then.
   */
  https?: boolean;
  /** The short-lived store, made by the test (one it can break); else Redis or in-process. */
  kv?: (prefix: string) => Promise<Kv>;
}): Promise<Federation> {
  const pro = spec.profile === 'proconnect';
  const hubPort = await freePort(HUB_HOST);
  const issuer = `${spec.https ? 'https' : 'http'}://${HUB_HOST}:${hubPort}`;
  const idps = new Map<string, MockIdp>();
  const idpEntries: Array<Record<string, unknown>> = [];
  for (const idp of spec.idps) {
    const { uid, host, entry, encryptsToHub, ...mockOptions } = idp;
    const encryption = Object.fromEntries(
      (['id_token', 'userinfo'] as const).flatMap((what) => {
        const alg = encryptsToHub?.[what];
        return alg
          ? [
              [`${what}_encrypted_response_alg`, alg],
              [`${what}_encrypted_response_enc`, 'A256GCM'],
            ]
          : [];
      }),
    );
    const mock = await createMockIdp({
      ...mockOptions,
      issuer: `http://${host}:${await freePort(host)}`,
      cookiePrefix: `mock_${uid.replaceAll('-', '_')}`,
      clients: [
        {
          client_id: DEMO_IDP.clientId,
          client_secret: DEMO_IDP.clientSecret,
          redirect_uris: [`${issuer}/idp/callback`],
          post_logout_redirect_uris: [`${issuer}/idp/logout-callback`],
          ...(encryptsToHub ? { jwks_uri: `${issuer}/jwks`, ...encryption } : {}),
        },
      ],
    });
    await mock.listen();
    idps.set(uid, mock);
    idpEntries.push({
      uid,
      name: `Compte ${uid}`,
      issuer: mock.issuer,
      client_id: DEMO_IDP.clientId,
      client_secret: DEMO_IDP.clientSecret,
      acr_values: mockOptions.acrValues ?? ['eidas1', 'eidas2', 'eidas3'],
      ...(pro ? { scope: PRO_IDP_SCOPE } : {}),
      id_token_signed_response_alg: mockOptions.idTokenAlg ?? 'ES256',
      userinfo_signed_response_alg: mockOptions.userinfoAlg ?? null,
      ...(mockOptions.discovery === false ? mock.endpoints : {}),
      ...encryption,
      ...entry,
    });
  }
  const spPort = await freePort(SP_HOST);
  const sps = new Map(
    spec.sps.map((sp) => [
      sp.client_id,
      {
        client_name: `Service ${sp.client_id}`,
        redirect_uris: [`http://${SP_HOST}:${spPort}/${sp.client_id}/callback`],
        post_logout_redirect_uris: [`http://${SP_HOST}:${spPort}/${sp.client_id}/`],
        scope: pro ? PRO_SP_SCOPE : 'openid identite_pivot email profile birth',
        acr_values: ['eidas1', 'eidas2', 'eidas3'],
        ...sp,
      },
    ]),
  );
  const schema = `e2e_${randomBytes(6).toString('hex')}`;
  const env = {
    PORT: String(hubPort),
    HOST: HUB_HOST,
    ISSUER: issuer,
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    DEMO: 'false',
    SUB_SECRET: 'e2e-sub-secret-0123456789abcdef0123456789',
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    COOKIE_KEYS: randomBytes(32).toString('hex'),
    IDP_TIMEOUT_MS: '2000',
    // A test federation lives on loopback: its metrics are read without a token.
    METRICS_PUBLIC: 'true',
    PROFILE: spec.profile ?? 'franceconnect',
    ...spec.env,
  };
  const config = loadConfig(env);
  const hubs: Hub[] = [];
  for (let i = 0; i < (spec.instances ?? 1); i += 1) {
    hubs.push(
      await createHub({
        config,
        federation: {
          serviceProviders: [...sps.values()],
          identityProviders: idpEntries,
          dataProviders: spec.dataProviders ?? [],
        },
        sqlSchema: schema,
        kvPrefix: `relais:e2e:${schema}:`,
        pgliteDir: null,
        ...(spec.logger ? { logger: spec.logger } : {}),
        ...(spec.kv ? { kv: await spec.kv(`relais:e2e:${schema}:`) } : {}),
      }),
    );
  }
  const [hub] = hubs as [Hub, ...Hub[]];
  let balancer: RoundRobin | undefined;
  let tamper: TamperingFront | undefined;
  if (spec.tampering) {
    const port = await freePort(HUB_HOST);
    await hub.app.listen({ port, host: HUB_HOST });
    tamper = await startTamperingFront(HUB_HOST, hubPort, port);
  } else if (hubs.length === 1) {
    await hub.app.listen({ port: hubPort, host: HUB_HOST });
  } else {
    const ports: number[] = [];
    for (const instance of hubs) {
      const port = await freePort(HUB_HOST);
      await instance.app.listen({ port, host: HUB_HOST });
      ports.push(port);
    }
    balancer = await startRoundRobin(HUB_HOST, hubPort, ports);
  }
  return {
    hub,
    hubs,
    hits: () => balancer?.hits ?? [],
    ...(tamper ? { tamper } : {}),
    env,
    issuer,
    idps,
    sps,
    async close() {
      await balancer?.close();
      await tamper?.close();
      await Promise.all(hubs.map((instance) => instance.close()));
      await Promise.all([...idps.values()].map((idp) => idp.close()));
      if (process.env.DATABASE_URL) {
        const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
        await admin.connect();
        await admin.query(`drop schema if exists ${schema} cascade`);
        await admin.end();
      }
    },
  };
}

/**
 * The SP side, as a real integrator would write it with openid-client. `auth` replaces the
 * client_secret authentication (e.g. `client.PrivateKeyJwt(key)`).
 */
export async function spClient(
  federation: Federation,
  clientId: string,
  auth?: client.ClientAuth,
): Promise<client.Configuration> {
  const sp = federation.sps.get(clientId);
  if (!sp) throw new Error(`no test SP ${clientId}`);
  const alg = (sp.id_token_signed_response_alg as string | undefined) ?? 'ES256';
  if (!auth && !sp.client_secret) throw new Error(`test SP ${clientId} has no secret: pass its auth`);
  const secret = sp.client_secret ?? '';
  const clientAuth =
    auth ??
    (sp.token_endpoint_auth_method === 'client_secret_basic'
      ? client.ClientSecretBasic(secret)
      : client.ClientSecretPost(secret));
  return client.discovery(
    new URL(federation.issuer),
    sp.client_id,
    {
      id_token_signed_response_alg: alg,
      userinfo_signed_response_alg: (sp.userinfo_signed_response_alg as string | undefined) ?? 'ES256',
    },
    clientAuth,
    { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] },
  );
}

export interface AuthorizeRequest {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
}

/** A FranceConnect v2 authorization request; `params` overrides or removes (undefined) parameters. */
export async function authorizeRequest(
  federation: Federation,
  config: client.Configuration,
  params: Record<string, string | undefined> = {},
): Promise<AuthorizeRequest> {
  const sp = federation.sps.get(config.clientMetadata().client_id);
  const redirectUri = sp?.redirect_uris[0] ?? '';
  const state = client.randomState();
  const nonce = client.randomNonce();
  const codeVerifier = client.randomPKCECodeVerifier();
  const all: Record<string, string | undefined> = {
    redirect_uri: redirectUri,
    scope: 'openid identite_pivot email',
    state,
    nonce,
    acr_values: 'eidas1',
    prompt: 'login consent',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...params,
  };
  const defined = Object.fromEntries(
    Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return {
    url: client.buildAuthorizationUrl(config, defined),
    state: all.state ?? '',
    nonce: all.nonce ?? '',
    codeVerifier,
    redirectUri,
  };
}

/** The federation's mock IdP `uid` (a test's typo fails loudly). */
export function mockIdp(federation: Federation, uid: string): MockIdp {
  const found = federation.idps.get(uid);
  if (!found) throw new Error(`no mock IdP ${uid}`);
  return found;
}

/** Every mock IdP of the federation back to its honest self (after a test that made one misbehave). */
export function resetMisbehaviours(federation: Federation): void {
  for (const idp of federation.idps.values()) idp.setMisbehaviour({});
}
