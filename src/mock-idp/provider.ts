// The oidc-provider configuration of the mock: a plain FranceConnect-style IdP (code flow, client
// secret, eIDAS acr, identité pivot claims in userinfo), or a ProConnect one serving agents.
import type { JWK } from 'jose';
import Provider, {
  type AdapterFactory,
  type ClientMetadata,
  type Configuration,
  type ErrorOut,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import { accountFinder, grantEverythingRequested } from './account.ts';
import { interactionRoutes } from './interactions.ts';
import { type AuthorizationParams, authorizationRecorder } from './last-authorization.ts';
import { type Acr, faultMiddleware, type MisbehaviourSource } from './misbehaviour.ts';
import type { MockPerson, Population } from './population.ts';
import { renderPage } from './views.ts';

export type SigningAlg = 'HS256' | 'RS256' | 'ES256';

export interface ProviderClient {
  client_id: string;
  client_secret: string;
  client_name?: string;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post';
  /** The client's keys (the hub's JWKS): where its encrypted answers are encrypted to. */
  jwks_uri?: string;
  id_token_encrypted_response_alg?: EncryptionAlg;
  id_token_encrypted_response_enc?: 'A256GCM';
  userinfo_encrypted_response_alg?: EncryptionAlg;
  userinfo_encrypted_response_enc?: 'A256GCM';
}

/** FranceConnect+'s key management algorithms, with A256GCM. */
export type EncryptionAlg = 'ECDH-ES' | 'RSA-OAEP-256';

export interface ProviderSettings {
  issuer: string;
  clients: readonly ProviderClient[];
  idTokenAlg: SigningAlg;
  userinfoAlg: SigningAlg | null;
  acrValues: readonly Acr[];
  cookiePrefix: string;
  endSession: boolean;
  discovery: boolean;
  population: Population;
  /** The domain of the agents' emails. */
  emailDomain: string;
}

export const ROUTES = {
  authorization: '/authorize',
  token: '/token',
  userinfo: '/userinfo',
  jwks: '/jwks',
  end_session: '/session/end',
} as const;

const PIVOT = ['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry'];
const SINGLE_CLAIMS = [...PIVOT, 'email', 'preferred_username'];
const PROCONNECT_CLAIMS = [
  'given_name',
  'usual_name',
  'email',
  'uid',
  'siret',
  'siren',
  'phone',
  'organizational_unit',
  'belonging_population',
  'chorusdt',
];

// Scope → claims. FranceConnect and ProConnect ask each claim as its own scope; the grouped scopes
// are conveniences. `amr` rides with `openid` so that every id_token carries it next to acr.
function claimsTable(population: Population): Record<string, string[]> {
  const single = population === 'agents' ? [...SINGLE_CLAIMS, ...PROCONNECT_CLAIMS] : SINGLE_CLAIMS;
  return {
    openid: ['sub', 'amr'],
    profile: [...PIVOT, 'preferred_username'],
    identite_pivot: PIVOT,
    birth: ['birthplace', 'birthcountry'],
    ...Object.fromEntries(single.map((claim) => [claim, [claim]])),
  };
}

const ALGS: SigningAlg[] = ['HS256', 'RS256', 'ES256'];

interface BuildInput {
  settings: ProviderSettings;
  signingKeys: readonly JWK[];
  cookieKeys: readonly string[];
  adapter: AdapterFactory;
  misbehaviour: MisbehaviourSource;
  /** Whom the login page lists and findAccount serves. */
  people: readonly MockPerson[];
  recordAuthorization: (params: AuthorizationParams) => void;
}

export function buildProvider(input: BuildInput): Provider {
  const { settings } = input;
  const provider = new Provider(settings.issuer, configuration(input));
  provider.use(authorizationRecorder(ROUTES.authorization, input.recordAuthorization));
  provider.use(
    faultMiddleware({
      tokenPath: ROUTES.token,
      userinfoPath: ROUTES.userinfo,
      signingKeys: input.signingKeys,
      redirectUris: settings.clients.flatMap((client) => client.redirect_uris),
      discovery: settings.discovery,
      misbehaviour: input.misbehaviour,
    }),
  );
  provider.use(
    interactionRoutes({
      provider,
      acrValues: settings.acrValues,
      population: settings.population,
      people: input.people,
      misbehaviour: input.misbehaviour,
    }),
  );
  return provider;
}

function configuration({
  settings,
  signingKeys,
  cookieKeys,
  adapter,
  misbehaviour,
  people,
}: BuildInput): Configuration {
  const prefix = settings.cookiePrefix;
  return {
    adapter,
    clients: settings.clients.map((client) => clientMetadata(client, settings)),
    jwks: { keys: signingKeys },
    cookies: {
      names: {
        session: `${prefix}_session`,
        interaction: `${prefix}_interaction`,
        resume: `${prefix}_resume`,
      },
      keys: [...cookieKeys],
    },
    routes: ROUTES,
    claims: claimsTable(settings.population),
    scopes: ['openid'],
    // ProConnect's hint at the establishment; shown on the login page, recorded for the tests.
    extraParams: ['siret_hint'],
    acrValues: [...settings.acrValues],
    responseTypes: ['code'],
    pkce: { required: () => false },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    enabledJWA: {
      idTokenSigningAlgValues: ALGS,
      userinfoSigningAlgValues: ALGS,
      idTokenEncryptionAlgValues: ['ECDH-ES', 'RSA-OAEP-256'],
      idTokenEncryptionEncValues: ['A256GCM'],
      userinfoEncryptionAlgValues: ['ECDH-ES', 'RSA-OAEP-256'],
      userinfoEncryptionEncValues: ['A256GCM'],
    },
    features: {
      devInteractions: { enabled: false },
      // A FranceConnect+ IdP encrypts to the clients that registered for it (their jwks_uri).
      encryption: { enabled: true },
      userinfo: { enabled: true },
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: { enabled: settings.endSession, logoutSource, postLogoutSuccessSource },
      // Not part of a FranceConnect IdP; off so that discovery advertises only what is real.
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      resourceIndicators: { enabled: false },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: accountFinder(people, misbehaviour),
    loadExistingGrant: grantEverythingRequested,
    renderError,
    clientBasedCORS: () => false,
    // oidc-provider refuses special-use addresses when it fetches a client's jwks_uri (SSRF);
    // the hub this mock encrypts to is on loopback in the demo and the tests, or on compose's network.
    fetch: (url, init) => {
      const { dispatcher: _ssrfGuard, ...options } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, options);
    },
    // Short lives: a mock session is one demo login, not a fortnight.
    ttl: {
      AccessToken: 300,
      AuthorizationCode: 60,
      IdToken: 300,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
  };
}

function clientMetadata(client: ProviderClient, settings: ProviderSettings): ClientMetadata {
  return {
    client_id: client.client_id,
    client_secret: client.client_secret,
    ...(client.client_name ? { client_name: client.client_name } : {}),
    redirect_uris: client.redirect_uris,
    post_logout_redirect_uris: client.post_logout_redirect_uris ?? [],
    token_endpoint_auth_method: client.token_endpoint_auth_method ?? 'client_secret_basic',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: settings.idTokenAlg,
    ...(settings.userinfoAlg ? { userinfo_signed_response_alg: settings.userinfoAlg } : {}),
    ...Object.fromEntries(
      (
        [
          'jwks_uri',
          'id_token_encrypted_response_alg',
          'id_token_encrypted_response_enc',
          'userinfo_encrypted_response_alg',
          'userinfo_encrypted_response_enc',
        ] as const
      ).flatMap((field) => (client[field] ? [[field, client[field]]] : [])),
    ),
  };
}

async function logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  const client = ctx.oidc.client;
  renderPage(ctx, 'logout.njk', { form, clientName: client?.clientName ?? client?.clientId });
}

async function postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void> {
  renderPage(ctx, 'logged-out.njk', {});
}

async function renderError(ctx: KoaContextWithOIDC, out: ErrorOut): Promise<void> {
  renderPage(ctx, 'error.njk', { error: out.error, description: out.error_description }, ctx.status || 400);
}
