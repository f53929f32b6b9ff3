// The bundled mock identity provider: a real OpenID Provider with fictitious people, used by the
// demo and the end-to-end tests as one of the hub's IdPs (FranceConnect ships the same). It serves
// citizens (FranceConnect) by default, or agents (ProConnect: an employer's IdP).
import { createServer, type Server } from 'node:http';
import type { AdapterFactory, default as Provider } from 'oidc-provider';
import { createMemoryAdapter } from './adapter.ts';
import type { MockAgent } from './agents.ts';
import type { MockIdentity } from './identities.ts';
import { generateCookieKeys, generateSigningKeys } from './keys.ts';
import type { AuthorizationParams } from './last-authorization.ts';
import type { Acr, Misbehaviour } from './misbehaviour.ts';
import { type Population, peopleOf } from './population.ts';
import {
  buildProvider,
  type EncryptionAlg,
  type ProviderSettings,
  ROUTES,
  type SigningAlg,
} from './provider.ts';

export type { MockAgent, MockAgentClaims } from './agents.ts';
export { agentsAt, MOCK_AGENTS } from './agents.ts';
export type { Forgery } from './forgery.ts';
export type { MockIdentity, MockIdentityClaims } from './identities.ts';
export { MOCK_IDENTITIES } from './identities.ts';
export type { AuthorizationParams } from './last-authorization.ts';
export type { Acr, Misbehaviour } from './misbehaviour.ts';
export { WRONG_ISSUER } from './misbehaviour.ts';
export type { Population } from './population.ts';

export const DEFAULT_EMAIL_DOMAIN = 'demo.gouv.fr';

export interface MockIdpClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post';
  /** Shown on the login page; defaults to the client_id. */
  client_name?: string;
  /** The client's JWKS, to which the answers below are encrypted (signed, then encrypted). */
  jwks_uri?: string;
  id_token_encrypted_response_alg?: EncryptionAlg;
  id_token_encrypted_response_enc?: 'A256GCM';
  userinfo_encrypted_response_alg?: EncryptionAlg;
  userinfo_encrypted_response_enc?: 'A256GCM';
}

export interface MockIdpOptions {
  /** e.g. http://127.0.0.2:4001: the server listens on its host and port. No path. */
  issuer: string;
  clients: MockIdpClient[];
  /** Default ES256; HS256 signs with the client secret (FranceConnect v1 IdP style). */
  idTokenAlg?: SigningAlg;
  /** null (default): plain JSON userinfo. */
  userinfoAlg?: SigningAlg | null;
  /** Levels it can deliver; default all three. */
  acrValues?: Acr[];
  /** Default 'mockidp': the cookie names must never collide with the hub's (same host in the demo). */
  cookiePrefix?: string;
  /** Default true: expose end_session_endpoint. */
  endSession?: boolean;
  /** Default true; false answers 404 on discovery (an IdP configured with static endpoints). */
  discovery?: boolean;
  /**
   * Where oidc-provider keeps sessions, codes and tokens; default in memory. npm run bench gives
   * its reference leg the hub's Redis adapter, so that it pays for its store as the hub does.
   */
  adapter?: AdapterFactory;
  /**
   * Default 'citizens' (FranceConnect identité pivot). 'agents' makes it a ProConnect IdP: the
   * login page lists MOCK_AGENTS and the ProConnect claims (usual_name, siret…) become scopes.
   */
  population?: Population;
  /** The agents' emails are `<local part>@<emailDomain>`; default demo.gouv.fr. Citizens ignore it. */
  emailDomain?: string;
}

/** What a client configures for this IdP when it cannot use discovery. */
export interface MockIdpEndpoints {
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  jwks_uri: string;
  end_session_endpoint?: string;
}

export interface MockIdp {
  readonly issuer: string;
  readonly endpoints: MockIdpEndpoints;
  /** Listens on the issuer's host and port, or on `host` (0.0.0.0 in a container). */
  listen(host?: string): Promise<void>;
  close(): Promise<void>;
  /** Replaces the current faults; `setMisbehaviour({})` makes the IdP behave again. */
  setMisbehaviour(misbehaviour: Misbehaviour): void;
  /** New signing keys with new kids; the old ones leave the JWKS. Sessions and tokens survive. */
  rotateKeys(): Promise<void>;
  /** Whom it serves, as it asserts them: for agents, `email` carries the domain. */
  readonly identities: readonly MockIdentity[] | readonly MockAgent[];
  /** The query of the last GET /authorize it received (refused or not); undefined before any. */
  lastAuthorization(): AuthorizationParams | undefined;
  /**
   * Demo sandbox: these faults, on top of setMisbehaviour's, for the next login only. The next
   * GET /authorize takes them (whoever sends it) for its whole login; the one after it drops them.
   * They lapse after 10 minutes, taken or not. `armNextLogin(undefined)` disarms.
   */
  armNextLogin(misbehaviour: Misbehaviour | undefined): void;
}

/** How long a fault armed for the next login waits for it, and lasts once taken. */
const ARMED_TTL_MS = 10 * 60_000;

interface Armed {
  readonly misbehaviour: Readonly<Misbehaviour>;
  readonly until: number;
}

export async function createMockIdp(options: MockIdpOptions): Promise<MockIdp> {
  const settings = resolveSettings(options);
  const url = new URL(settings.issuer);
  const adapter = options.adapter ?? createMemoryAdapter();
  const cookieKeys = generateCookieKeys();
  const people = peopleOf(settings.population, settings.emailDomain);
  let misbehaviour: Readonly<Misbehaviour> = {};
  let lastAuthorization: AuthorizationParams | undefined;
  // Armed for the next login, then that login's own until the next GET /authorize.
  let armed: Armed | undefined;
  let taken: Armed | undefined;
  const live = (entry: Armed | undefined) => (entry && entry.until > Date.now() ? entry : undefined);
  const current = (): Readonly<Misbehaviour> => {
    const oneShot = live(taken)?.misbehaviour;
    return oneShot ? { ...misbehaviour, ...oneShot } : misbehaviour;
  };
  const build = async (): Promise<Provider> =>
    buildProvider({
      settings,
      signingKeys: await generateSigningKeys(),
      cookieKeys,
      adapter,
      misbehaviour: current,
      people,
      recordAuthorization: (params) => {
        lastAuthorization = params;
        const next = live(armed);
        taken = next && { misbehaviour: next.misbehaviour, until: Date.now() + ARMED_TTL_MS };
        armed = undefined;
      },
    });
  // Rotation swaps the whole provider; the shared adapter and cookie keys keep logins going.
  let handle = (await build()).callback();
  let server: Server | undefined;

  return {
    issuer: settings.issuer,
    endpoints: endpointsOf(settings),
    identities: people,
    lastAuthorization: () => lastAuthorization,
    async listen(host) {
      if (server) throw new Error('mock IdP already listening');
      server = createServer((req, res) => handle(req, res));
      await listenOn(server, url, host);
    },
    async close() {
      const running = server;
      server = undefined;
      if (running) await closeServer(running);
    },
    setMisbehaviour(next) {
      misbehaviour = Object.freeze({ ...next });
    },
    armNextLogin(next) {
      armed = next && { misbehaviour: Object.freeze({ ...next }), until: Date.now() + ARMED_TTL_MS };
      if (next === undefined) taken = undefined;
    },
    async rotateKeys() {
      handle = (await build()).callback();
    },
  };
}

function resolveSettings(options: MockIdpOptions): ProviderSettings {
  const url = new URL(options.issuer);
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new Error('mock IdP issuer must be an origin, without path, query or fragment');
  }
  if (options.clients.length === 0) throw new Error('mock IdP needs at least one client');
  const acrValues = options.acrValues ?? ['eidas1', 'eidas2', 'eidas3'];
  if (acrValues.length === 0) throw new Error('mock IdP acrValues must not be empty');
  const emailDomain = options.emailDomain ?? DEFAULT_EMAIL_DOMAIN;
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(emailDomain)) {
    throw new Error('mock IdP emailDomain must be a domain name, e.g. demo.gouv.fr');
  }
  return {
    issuer: url.origin,
    clients: options.clients,
    idTokenAlg: options.idTokenAlg ?? 'ES256',
    userinfoAlg: options.userinfoAlg ?? null,
    acrValues,
    cookiePrefix: options.cookiePrefix ?? 'mockidp',
    endSession: options.endSession ?? true,
    discovery: options.discovery ?? true,
    population: options.population ?? 'citizens',
    emailDomain,
  };
}

function endpointsOf(settings: ProviderSettings): MockIdpEndpoints {
  const at = (path: string): string => new URL(path, settings.issuer).href;
  return {
    authorization_endpoint: at(ROUTES.authorization),
    token_endpoint: at(ROUTES.token),
    userinfo_endpoint: at(ROUTES.userinfo),
    jwks_uri: at(ROUTES.jwks),
    ...(settings.endSession ? { end_session_endpoint: at(ROUTES.end_session) } : {}),
  };
}

function listenOn(server: Server, url: URL, listenHost?: string): Promise<void> {
  const host = listenHost ?? url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Keep-alive connections from clients would otherwise hold close() open.
    server.closeAllConnections();
  });
}
