// The federation file: the service providers (FS) and identity providers (FI) the hub knows.
// Parsed as untrusted input; a bad entry stops the start with its index, id and field.
import { z } from 'zod';
import { acrSchema } from '../acr.ts';

/** A scope (a request's, or an entry's authorisation) as its distinct names, in order. */
export function splitScope(scope: string | undefined): string[] {
  return [...new Set((scope ?? '').split(/\s+/).filter(Boolean))];
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * http is only for loopback addresses (tests, the demo, a developer's machine): localhost and its
 * subdomains (RFC 6761; browsers resolve them to loopback), 127.0.0.0/8, [::1].
 */
export function isLoopbackUrl(url: URL): boolean {
  return (
    LOOPBACK_HOSTS.has(url.hostname) ||
    url.hostname.endsWith('.localhost') ||
    /^127\.\d+\.\d+\.\d+$/.test(url.hostname)
  );
}

const url = z.url({ protocol: /^https?$/ });
/** RFC 6749 Appendix A.2: a client secret is printable ASCII (what HTTP Basic and oidc-provider take). */
const printableAscii = /^[\x20-\x7e]+$/;
const secret = z
  .string()
  .min(32, 'must be at least 32 characters')
  .regex(printableAscii, 'printable ASCII only (RFC 6749 Appendix A.2): no accent, no control character');
const spaceList = z.string().trim().min(1);
/** A domain as an email has it after the '@': lower-case labels, the last one letters. */
const emailDomain = z
  .string()
  .transform((domain) => domain.trim().toLowerCase())
  .pipe(
    z
      .string()
      .max(253)
      .regex(
        /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
        'a domain such as interieur.gouv.fr',
      ),
  );
const jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) });

/** A scope's name (RFC 6749 §3.3: printable ASCII but space, `"` and `\\`). */
const scopeName = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope name');

/** A client of the hub's OP (an SP, a data provider): a secret, or its keys for private_key_jwt. */
function clientCredentials(
  client: {
    token_endpoint_auth_method: string;
    client_secret?: string | undefined;
    jwks_uri?: string | undefined;
    jwks?: unknown;
  },
  ctx: z.RefinementCtx,
) {
  if (client.token_endpoint_auth_method === 'private_key_jwt') {
    if (!client.jwks_uri && !client.jwks) {
      ctx.addIssue({ code: 'custom', path: ['jwks_uri'], message: 'private_key_jwt needs jwks_uri or jwks' });
    }
  } else if (!client.client_secret) {
    ctx.addIssue({ code: 'custom', path: ['client_secret'], message: 'required for this auth method' });
  }
}

/**
 * A DataPass habilitation: scopes an SP may ask for, in force through its end date (a calendar day
 * in Europe/Paris). Public: it is listed on the register at {ISSUER}/habilitations.
 */
export const habilitationSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'letters, digits, . _ : - only'),
    scopes: z.array(scopeName).min(1),
    expires_at: z.iso.date(),
  })
  .strict();
export type Habilitation = z.infer<typeof habilitationSchema>;

/** What the hub encrypts to an SP (JWE, nested in the signature): FranceConnect+'s algorithms. */
export const ENCRYPTION_ALGS = ['ECDH-ES', 'RSA-OAEP-256'] as const;
export const ENCRYPTION_ENCS = ['A256GCM'] as const;
/** The hub's own keys (op/keys.ts): what it signs with, and what IdPs encrypt to it with. */
export const SIGNING_ALGS = ['ES256', 'RS256'] as const;
export const HUB_KEY_ALGS = [...SIGNING_ALGS, ...ENCRYPTION_ALGS] as const;
export type HubKeyAlg = (typeof HUB_KEY_ALGS)[number];

/** An SP asking encrypted tokens gives its keys; an `_enc` goes with its `_alg`. */
function encryptionKeys(
  sp: {
    jwks_uri?: string | undefined;
    jwks?: unknown;
    id_token_encrypted_response_alg?: string | undefined;
    id_token_encrypted_response_enc?: string | undefined;
    userinfo_encrypted_response_alg?: string | undefined;
    userinfo_encrypted_response_enc?: string | undefined;
  },
  ctx: z.RefinementCtx,
) {
  for (const what of ['id_token', 'userinfo'] as const) {
    const alg = sp[`${what}_encrypted_response_alg`];
    if (sp[`${what}_encrypted_response_enc`] && !alg) {
      ctx.addIssue({
        code: 'custom',
        path: [`${what}_encrypted_response_enc`],
        message: `needs ${what}_encrypted_response_alg`,
      });
    }
    if (alg && !sp.jwks_uri && !sp.jwks) {
      ctx.addIssue({
        code: 'custom',
        path: ['jwks_uri'],
        message: `${what} encryption needs jwks_uri or jwks`,
      });
    }
  }
}

export const serviceProviderSchema = z
  .object({
    client_id: z.string().min(1).max(255),
    client_secret: secret.optional(),
    client_name: z.string().min(1).max(200),
    redirect_uris: z.array(url).min(1),
    post_logout_redirect_uris: z.array(url).default([]),
    /**
     * OpenID Connect Back-Channel Logout: where the hub posts a logout_token when a hub session
     * this SP took part in ends (a logout at another SP, expiry, an operator's revocation).
     */
    backchannel_logout_uri: url.optional(),
    /** Its id_tokens, and so its logout tokens, carry `sid` (they always do when it has a URI). */
    backchannel_logout_session_required: z.boolean().default(false),
    scope: spaceList.refine((s) => splitScope(s).includes('openid'), 'must contain openid'),
    acr_values: z.array(acrSchema).min(1).default(['eidas1']),
    id_token_signed_response_alg: z.enum(['ES256', 'RS256']).default('ES256'),
    userinfo_signed_response_alg: z.enum(['ES256', 'RS256']).default('ES256'),
    /** The id_token and userinfo encrypted to the SP's key (signed, then encrypted). */
    id_token_encrypted_response_alg: z.enum(ENCRYPTION_ALGS).optional(),
    id_token_encrypted_response_enc: z.enum(ENCRYPTION_ENCS).optional(),
    userinfo_encrypted_response_alg: z.enum(ENCRYPTION_ALGS).optional(),
    userinfo_encrypted_response_enc: z.enum(ENCRYPTION_ENCS).optional(),
    token_endpoint_auth_method: z
      .enum(['client_secret_post', 'client_secret_basic', 'private_key_jwt'])
      .default('client_secret_post'),
    jwks_uri: url.optional(),
    jwks: jwks.optional(),
    identity_providers: z.array(z.string().min(1)).optional(),
    /** Printable: a control character (U+001F separates sector and person) could never derive a sub. */
    sector_identifier: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^\p{Cc}]+$/u, 'no control character')
      .optional(),
    type: z.enum(['public', 'private']).default('public'),
    /** ProConnect: only IdPs with `public_sector` may log agents in to this SP. */
    public_agents_only: z.boolean().default(false),
    /** Scopes granted for a while (DataPass): the SP may ask them while one is in force. */
    habilitations: z.array(habilitationSchema).optional(),
    active: z.boolean().default(true),
  })
  .strict()
  .superRefine(clientCredentials)
  .superRefine(encryptionKeys);
export type ServiceProvider = z.infer<typeof serviceProviderSchema>;

export const identityProviderSchema = z
  .object({
    uid: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lowercase letters, digits, - and _ only'),
    name: z.string().min(1).max(200),
    issuer: url,
    client_id: z.string().min(1),
    client_secret: z
      .string()
      .min(1)
      .regex(printableAscii, 'printable ASCII only (RFC 6749 Appendix A.2): no accent, no control character'),
    /** Set by `relais idp refresh`: a new value has every instance fetch the IdP's metadata again. */
    metadata_refreshed_at: z.iso.datetime().optional(),
    token_endpoint_auth_method: z
      .enum(['client_secret_basic', 'client_secret_post'])
      .default('client_secret_basic'),
    scope: spaceList.default('openid given_name family_name birthdate gender birthplace birthcountry email'),
    acr_values: z.array(acrSchema).min(1).default(['eidas1']),
    id_token_signed_response_alg: z.enum(['ES256', 'RS256', 'HS256']).default('ES256'),
    userinfo_signed_response_alg: z.enum(['ES256', 'RS256', 'HS256']).nullable().default(null),
    /**
     * The IdP encrypts its id_token, or its signed userinfo, to the hub's published `use: enc` key
     * of this algorithm (FranceConnect+): an answer left in clear is then refused.
     */
    id_token_encrypted_response_alg: z.enum(ENCRYPTION_ALGS).optional(),
    id_token_encrypted_response_enc: z.enum(ENCRYPTION_ENCS).optional(),
    userinfo_encrypted_response_alg: z.enum(ENCRYPTION_ALGS).optional(),
    userinfo_encrypted_response_enc: z.enum(ENCRYPTION_ENCS).optional(),
    /** Endpoints of an IdP without discovery (the FC v1 style); all or none. */
    authorization_endpoint: url.optional(),
    token_endpoint: url.optional(),
    userinfo_endpoint: url.optional(),
    jwks_uri: url.optional(),
    end_session_endpoint: url.optional(),
    /** pivot claim → the IdP's claim name, for IdPs that name them differently. */
    claims_mapping: z.record(z.string(), z.string()).optional(),
    logo: z.string().optional(),
    /** ProConnect: the email domains this IdP answers for (each with its subdomains). */
    email_domains: z.array(emailDomain).optional(),
    /** ProConnect: the account-based IdP for anyone whose domain no other IdP lists. */
    fallback: z.boolean().default(false),
    /** ProConnect: an IdP of the public sector (the only ones a public_agents_only SP admits). */
    public_sector: z.boolean().default(false),
    active: z.boolean().default(true),
    display: z.boolean().default(true),
    order: z.number().int().default(100),
  })
  .strict()
  .superRefine((idp, ctx) => {
    const stat = [idp.authorization_endpoint, idp.token_endpoint, idp.userinfo_endpoint];
    if (stat.some(Boolean) && !stat.every(Boolean)) {
      ctx.addIssue({
        code: 'custom',
        path: ['authorization_endpoint'],
        message: 'static endpoints need authorization_endpoint, token_endpoint and userinfo_endpoint',
      });
    }
    const signsAsymmetric = [idp.id_token_signed_response_alg, idp.userinfo_signed_response_alg].some(
      (alg) => alg === 'ES256' || alg === 'RS256',
    );
    if (stat.every(Boolean) && signsAsymmetric && !idp.jwks_uri) {
      ctx.addIssue({
        code: 'custom',
        path: ['jwks_uri'],
        message: 'required to verify RS256/ES256 signatures',
      });
    }
    for (const what of ['id_token', 'userinfo'] as const) {
      if (idp[`${what}_encrypted_response_enc`] && !idp[`${what}_encrypted_response_alg`]) {
        ctx.addIssue({
          code: 'custom',
          path: [`${what}_encrypted_response_enc`],
          message: `needs ${what}_encrypted_response_alg`,
        });
      }
    }
    // The hub reads an encrypted userinfo only as a nested JWT: signed, then encrypted.
    if (idp.userinfo_encrypted_response_alg && !idp.userinfo_signed_response_alg) {
      ctx.addIssue({
        code: 'custom',
        path: ['userinfo_encrypted_response_alg'],
        message: 'an encrypted userinfo must be signed too (userinfo_signed_response_alg)',
      });
    }
  });
export type IdentityProvider = z.infer<typeof identityProviderSchema>;

/**
 * A data provider (fournisseur de données): an API asking the hub whether an access token is
 * valid, for whom and for which of its scopes (introspection, FranceConnect's checktoken).
 */
export const dataProviderSchema = z
  .object({
    client_id: z.string().min(1).max(255),
    client_secret: secret.optional(),
    name: z.string().min(1).max(200),
    /** The scopes it serves: it sees a token only for those (the token's scopes ∩ these). */
    scopes: z.array(scopeName).min(1),
    token_endpoint_auth_method: z
      .enum(['client_secret_post', 'client_secret_basic', 'private_key_jwt'])
      .default('client_secret_post'),
    jwks_uri: url.optional(),
    jwks: jwks.optional(),
    /** How its JWT answers (checktoken, introspection asked as a JWT) are signed. */
    checktoken_signed_response_alg: z.enum(['ES256', 'RS256']).default('ES256'),
    active: z.boolean().default(true),
  })
  .strict()
  .superRefine(clientCredentials);
export type DataProvider = z.infer<typeof dataProviderSchema>;

export const federationSchema = z
  .object({
    serviceProviders: z.array(serviceProviderSchema).default([]),
    identityProviders: z.array(identityProviderSchema).default([]),
    dataProviders: z.array(dataProviderSchema).default([]),
  })
  .strict()
  .superRefine((fed, ctx) => {
    // SPs and data providers are both clients of the hub's OP: one client_id, one of them.
    const spIds = new Set(fed.serviceProviders.map((sp) => sp.client_id));
    fed.dataProviders.forEach((dp, i) => {
      if (spIds.has(dp.client_id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['dataProviders', i, 'client_id'],
          message: `"${dp.client_id}" is already a service provider's client_id`,
        });
      }
    });
    const idps = new Set(fed.identityProviders.map((i) => i.uid));
    fed.serviceProviders.forEach((sp, i) => {
      for (const uid of sp.identity_providers ?? []) {
        if (!idps.has(uid)) {
          ctx.addIssue({
            code: 'custom',
            path: ['serviceProviders', i, 'identity_providers'],
            message: `unknown identity provider "${uid}"`,
          });
        }
      }
    });
  });
export type Federation = z.infer<typeof federationSchema>;
/** A federation as written (defaults not yet applied): the demo's, a test's. */
export type FederationInput = z.input<typeof federationSchema>;

/** Checks the http-only-on-loopback rule for every URL of an entry; returns the offending field. */
export function insecureUrls(entry: Record<string, unknown>): string[] {
  const offending: string[] = [];
  for (const [field, value] of Object.entries(entry)) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (typeof v !== 'string' || !/^http:\/\//.test(v)) continue;
      if (!isLoopbackUrl(new URL(v))) offending.push(field);
    }
  }
  return offending;
}

/** One readable line per problem: "serviceProviders[0] (demo-sp).redirect_uris: …". */
export function describeFederationError(error: z.ZodError, input: unknown): string {
  return error.issues
    .map((issue) => {
      const [list, index, ...rest] = issue.path;
      const entry =
        typeof list === 'string' && typeof index === 'number'
          ? ((input as Record<string, Array<Record<string, unknown>>>)?.[list]?.[index] ?? {})
          : {};
      const id = list === 'identityProviders' ? entry.uid : entry.client_id;
      const where =
        typeof index === 'number'
          ? `${String(list)}[${index}]${id ? ` (${String(id)})` : ''}${rest.length ? `.${rest.join('.')}` : ''}`
          : issue.path.join('.') || '(root)';
      return `${where}: ${issue.message}`;
    })
    .join('\n');
}
