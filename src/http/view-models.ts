// Every page's model, in one place: what each template (views/*.njk) is given. The routes parse,
// call the login flow or a page of their own, and hand one of these to the template.
import type { RegisterEntry } from '../config/habilitations.ts';
import { ERRORS } from '../errors.ts';
import type { ConsentView, Step } from '../login/flow.ts';
import type { LoginRecord } from '../login/record.ts';
import { csrfToken } from './csrf.ts';
import { formatDate } from './i18n.ts';
import type { PageContext } from './page-context.ts';

type LoginPage = Extract<Step, { page: string }>;

/** The mire: the SP's name, the IdPs (usable or greyed with the reason), an IdP failure's banner. */
export function mireModel(context: PageContext, csrfKey: Buffer, step: Extract<LoginPage, { page: 'mire' }>) {
  return {
    ...context,
    titleKey: 'mire.title',
    ...forms(csrfKey, step.login),
    spName: step.sp.client_name,
    identityProviders: step.entries,
    failure: step.banner,
  };
}

/** ProConnect's email page: the email field, or a typo's correction, or the IdPs to pick among. */
export function emailModel(
  context: PageContext,
  csrfKey: Buffer,
  step: Extract<LoginPage, { page: 'email' }>,
) {
  const local = step.email?.slice(0, step.email.lastIndexOf('@') + 1) ?? '';
  return {
    ...context,
    titleKey: 'email.title',
    ...forms(csrfKey, step.login),
    spName: step.sp.client_name,
    email: step.email,
    suggestion: step.suggestion ? `${local}${step.suggestion}` : undefined,
    problem: step.problem,
    // What the SP is told when the agent goes back from this problem.
    problemCode: step.problem ? EMAIL_PROBLEM_CODES[step.problem] : undefined,
    choices: step.choices,
    failure: step.banner,
  };
}

const EMAIL_PROBLEM_CODES = { invalid: undefined, no_route: 'R2007', public_only: 'R2008' } as const;

/** The consent page: who the person is, what the SP receives, and the agreement a private SP needs. */
export function consentModel(
  context: PageContext,
  csrfKey: Buffer,
  step: Extract<LoginPage, { page: 'consent' }>,
) {
  const { identity, claims }: ConsentView = step.consent;
  const { given_name, family_name, birthdate, gender } = identity.claims;
  return {
    ...context,
    titleKey: 'consent.title',
    ...forms(csrfKey, step.login),
    identity: step.consent.fingerprint,
    spName: step.sp.client_name,
    anonymous: claims.length === 0,
    person:
      given_name && family_name && birthdate
        ? {
            givenName: given_name,
            // As FranceConnect writes it: the birth name in capitals ("Marie DUPONT").
            familyName: family_name.toLocaleUpperCase('fr-FR'),
            birthdate: formatDate(context.lang, birthdate),
            gender,
          }
        : undefined,
    claims,
    dataProviders: step.consent.dataProviders,
    requireAgreement: step.consent.requireAgreement,
    agreementMissing: step.consent.agreementMissing,
    // The SP's entry on the public register: what it is authorised to receive, and until when.
    registerHref: `/habilitations#${encodeURIComponent(step.sp.client_id)}`,
  };
}

const forms = (csrfKey: Buffer, login: LoginRecord) => ({
  uid: login.uid,
  csrf: csrfToken(csrfKey, login.uid),
});

/** An error page: its code, the id also logged, and the way back to the SP when it is known. */
export function errorModel(
  context: PageContext,
  error: { code: keyof typeof ERRORS; errorId: string },
  /** The leave form (the login record known), or a plain link to the SP (the store unreachable). */
  backToSp: { action: string; csrf: string; spName: string } | { href: string; spName: string } | undefined,
) {
  return {
    ...context,
    titleKey: 'error.title',
    code: error.code,
    errorId: error.errorId,
    status: ERRORS[error.code].status,
    backToSp,
  };
}

export const loggedOutModel = (context: PageContext) => ({ ...context, titleKey: 'loggedOut.title' });

export const logoutModel = (context: PageContext, form: string) => ({
  ...context,
  titleKey: 'logout.title',
  form,
});

export const aboutModel = (context: PageContext) => ({ ...context, titleKey: 'about.title' });

/**
 * The protocol's own errors, which the hub's JSON answers name in `error_uri` (`/errors#<error>`)
 * and which carry no [Rxxxx] of the hub's: what each means at Relais, in English as
 * `error_description` is.
 */
export const PROTOCOL_ERRORS: ReadonlyArray<{ error: string; where: string; description: string }> = [
  {
    error: 'invalid_grant',
    where: '/token',
    description:
      'The code expired (60 s), was already used, was issued to another client or redirect URI, or the PKCE verifier is wrong; or the refresh token is no longer valid. Start a new login.',
  },
  {
    error: 'invalid_client',
    where: '/token, /introspect, /revoke',
    description:
      'Client authentication failed: wrong client_secret, wrong method for this client, or an invalid private_key_jwt assertion.',
  },
  {
    error: 'invalid_request',
    where: '/token, /userinfo, /introspect, /revoke',
    description: 'A parameter is missing, repeated or malformed.',
  },
  {
    error: 'unauthorized_client',
    where: '/token',
    description: 'This grant type is not allowed to this client (refresh tokens only with offline_access).',
  },
  {
    error: 'unsupported_grant_type',
    where: '/token',
    description: 'Only authorization_code (and refresh_token for offline_access) are accepted.',
  },
  {
    error: 'invalid_token',
    where: '/userinfo',
    description:
      'The access token expired (60 s by default), was revoked, or its login was ended (logout, revocation).',
  },
  {
    error: 'invalid_scope',
    where: '/token (refresh)',
    description: 'A refresh asked a scope the grant does not hold.',
  },
  {
    error: 'server_error',
    where: 'any',
    description: 'An error of the hub, logged with an id; try again later.',
  },
];

/** The documentation of every error code (error_uri points here). */
export const errorCodesModel = (context: PageContext) => ({
  ...context,
  titleKey: 'errorCodes.title',
  errors: Object.entries(ERRORS).map(([code, entry]) => ({ code, ...entry })),
  protocolErrors: PROTOCOL_ERRORS,
});

/** The public register: each active SP, its own scopes, its habilitations with their end day and state. */
export const habilitationsModel = (context: PageContext, register: readonly RegisterEntry[]) => ({
  ...context,
  titleKey: 'habilitations.title',
  serviceProviders: register.map((sp) => ({
    clientId: sp.client_id,
    name: sp.name,
    scopes: sp.scope.split(' '),
    habilitations: sp.habilitations.map((h) => ({
      id: h.id,
      scopes: h.scopes,
      expiresAt: h.expires_at,
      expiresOn: formatDate(context.lang, h.expires_at),
      inForce: h.in_force,
    })),
  })),
});
