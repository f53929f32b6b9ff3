// OpenID Connect Back-Channel Logout 1.0, the SP's side: the hub POSTs a logout_token when the
// citizen's hub session ends (a logout at another SP, its expiry, an operator's revocation); the SP
// checks it as §2.6 says and ends its own sessions of that `sid` (or, without one, of that `sub`).
// Every refusal is a 400 naming the check that failed (never a stack, a key or a claim's value).
import { createHash } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { describeForLog } from './errors.ts';
import { ExpiringMap } from './sessions.ts';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
export const BACKCHANNEL_LOGOUT_PATH = '/backchannel-logout';

/** Clock skew tolerated on iat and exp, in seconds. */
export const LOGOUT_TOKEN_SKEW_SECONDS = 30;
/** A token issued longer ago than this is refused whatever its exp (the hub's live 120 s). */
export const LOGOUT_TOKEN_MAX_AGE_SECONDS = 300;
/** A jti is remembered as long as a token bearing it could still pass the iat check. */
const JTI_MEMORY_MS = (LOGOUT_TOKEN_MAX_AGE_SECONDS + 2 * LOGOUT_TOKEN_SKEW_SECONDS) * 1000;
/** A logout token is a few hundred bytes; a form ten times that is already suspicious. */
const BODY_LIMIT_BYTES = 16 * 1024;
const JOURNAL_LENGTH = 20;

/** Why a logout token was refused: a fixed, English description for the hub (error_description). */
export const LOGOUT_TOKEN_REFUSALS = {
  missing_token: 'the request must be an application/x-www-form-urlencoded form with one logout_token',
  malformed: 'logout_token is not a signed JWT',
  bad_typ: 'logout_token has an unexpected typ header',
  bad_signature: 'logout_token signature could not be verified with the hub keys and the registered alg',
  bad_issuer: 'logout_token iss is not the hub issuer',
  bad_audience: 'logout_token aud does not include this client',
  expired: 'logout_token is expired or was issued too long ago',
  bad_dates: 'logout_token iat or exp is missing, malformed or in the future',
  missing_jti: 'logout_token has no jti',
  bad_events: 'logout_token events has no back-channel logout member',
  no_subject: 'logout_token has neither a sid nor a sub',
  bad_subject: 'logout_token sid or sub is not a non-empty string',
  nonce_present: 'logout_token must not contain a nonce',
  replayed: 'logout_token jti was already received',
} as const;

export type LogoutTokenRefusal = keyof typeof LOGOUT_TOKEN_REFUSALS;

export class LogoutTokenError extends Error {
  readonly refusal: LogoutTokenRefusal;

  constructor(refusal: LogoutTokenRefusal, options: { cause?: unknown } = {}) {
    super(LOGOUT_TOKEN_REFUSALS[refusal], options);
    this.name = 'LogoutTokenError';
    this.refusal = refusal;
  }
}

/** The hub's keys could not be had (discovery or JWKS unreachable): nothing says the token is bad. */
export class LogoutTokenUnverifiable extends Error {
  constructor(options: { cause?: unknown } = {}) {
    super('the hub keys could not be fetched', options);
    this.name = 'LogoutTokenUnverifiable';
  }
}

/** A checked logout token: at least one of sid and sub. */
export interface LogoutTokenClaims {
  readonly jti: string;
  readonly sid: string | undefined;
  readonly sub: string | undefined;
}

export interface LogoutTokenExpectations {
  /** The hub's issuer, as its discovery document (and its id_tokens) say it. */
  readonly issuer: string;
  /** This SP's client_id. */
  readonly audience: string;
  /** The id_token_signed_response_alg registered for this SP: the only one accepted. */
  readonly algorithm: string;
  readonly keys: JWTVerifyGetKey;
  readonly currentDate?: Date;
}

/** logout+jwt (RFC 8725 explicit typing) as the spec asks; a bare JWT or none from older OPs. */
const ACCEPTED_TYP = new Set(['logout+jwt', 'jwt']);

/**
 * OIDC Back-Channel Logout 1.0 §2.6, steps 2 to 6 (step 1, decryption: this SP registered no
 * encryption, so a JWE is refused as malformed). The jti replay check (step 7) is the caller's:
 * it must only remember tokens that passed these checks.
 */
export async function validateLogoutToken(
  token: string,
  expected: LogoutTokenExpectations,
): Promise<LogoutTokenClaims> {
  let payload: JWTPayload;
  try {
    const verified = await jwtVerify(token, expected.keys, {
      algorithms: [expected.algorithm],
      issuer: expected.issuer,
      audience: expected.audience,
      requiredClaims: ['iat', 'exp'],
      clockTolerance: LOGOUT_TOKEN_SKEW_SECONDS,
      maxTokenAge: LOGOUT_TOKEN_MAX_AGE_SECONDS,
      ...(expected.currentDate ? { currentDate: expected.currentDate } : {}),
    });
    const { typ } = verified.protectedHeader;
    if (typ !== undefined && !ACCEPTED_TYP.has(typ.toLowerCase().replace(/^application\//, ''))) {
      throw new LogoutTokenError('bad_typ');
    }
    payload = verified.payload;
  } catch (err) {
    throw asLogoutTokenError(err);
  }
  // An id_token (it always carries our nonce) or any other JWT of the hub is not a logout token.
  const events = payload.events;
  if (
    !isObject(events) ||
    !Object.hasOwn(events, BACKCHANNEL_LOGOUT_EVENT) ||
    !isObject(events[BACKCHANNEL_LOGOUT_EVENT])
  ) {
    throw new LogoutTokenError('bad_events');
  }
  if (Object.hasOwn(payload, 'nonce')) throw new LogoutTokenError('nonce_present');
  const { sid, sub, jti } = payload;
  if (sid === undefined && sub === undefined) throw new LogoutTokenError('no_subject');
  if (!isOptionalText(sid) || !isOptionalText(sub)) throw new LogoutTokenError('bad_subject');
  if (typeof jti !== 'string' || jti === '') throw new LogoutTokenError('missing_jti');
  return { jti, sid, sub };
}

/** jose's errors, sorted into the refusals above; what means "no keys to check with" is set apart. */
function asLogoutTokenError(err: unknown): LogoutTokenError | LogoutTokenUnverifiable {
  if (err instanceof LogoutTokenError) return err;
  if (err instanceof errors.JWTExpired) return new LogoutTokenError('expired', { cause: err });
  if (err instanceof errors.JWTClaimValidationFailed) {
    const refusal: LogoutTokenRefusal =
      err.claim === 'iss' ? 'bad_issuer' : err.claim === 'aud' ? 'bad_audience' : 'bad_dates';
    return new LogoutTokenError(refusal, { cause: err });
  }
  if (
    err instanceof errors.JWSSignatureVerificationFailed ||
    err instanceof errors.JOSEAlgNotAllowed ||
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JWKSMultipleMatchingKeys ||
    err instanceof errors.JOSENotSupported
  ) {
    return new LogoutTokenError('bad_signature', { cause: err });
  }
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) {
    return new LogoutTokenError('malformed', { cause: err });
  }
  // JWKSTimeout, JWKSInvalid, a JWKS answered with another status than 200, fetch failed…
  return new LogoutTokenUnverifiable({ cause: err });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOptionalText(value: unknown): value is string | undefined {
  return value === undefined || (typeof value === 'string' && value !== '');
}

/** What the demo shows of a received logout: nothing secret (the sid only as a short digest). */
export interface LogoutReceipt {
  readonly at: Date;
  /** The first 12 hex digits of SHA-256(sid); undefined without a sid or for a refused token. */
  readonly sidDigest: string | undefined;
  readonly outcome:
    | { readonly kind: 'ended'; readonly sessions: number }
    | { readonly kind: 'refused'; readonly refusal: LogoutTokenRefusal }
    | { readonly kind: 'unverifiable' };
}

export function sidDigest(sid: string): string {
  return createHash('sha256').update(sid, 'utf8').digest('hex').slice(0, 12);
}

/** The last logouts received, newest first, bounded. */
export class LogoutJournal {
  readonly #receipts: LogoutReceipt[] = [];
  readonly #length: number;

  constructor(length = JOURNAL_LENGTH) {
    this.#length = length;
  }

  add(receipt: LogoutReceipt): void {
    this.#receipts.unshift(receipt);
    this.#receipts.length = Math.min(this.#receipts.length, this.#length);
  }

  list(): readonly LogoutReceipt[] {
    return [...this.#receipts];
  }
}

export interface BackchannelLogoutDependencies {
  /** The demo SP's client of the hub (relais-client.ts), which checks a token against the hub's keys. */
  relais: { verifyLogoutToken(token: string): Promise<LogoutTokenClaims> };
  journal: LogoutJournal;
  /** Ends this SP's sessions designated by the token; returns how many there were. */
  endSessions(target: { sid: string | undefined; sub: string | undefined }): number;
}

/** `POST /backchannel-logout`: 200 (no-store) once done, 400 for a refused token, 503 without keys. */
export function registerBackchannelLogout(
  app: FastifyInstance,
  { relais, journal, endSessions }: BackchannelLogoutDependencies,
): void {
  const seenJtis = new ExpiringMap<true>(JTI_MEMORY_MS);

  const refuse = (reply: FastifyReply, refusal: LogoutTokenRefusal) => {
    journal.add({ at: new Date(), sidDigest: undefined, outcome: { kind: 'refused', refusal } });
    return reply
      .code(400)
      .header('cache-control', 'no-store')
      .send({ error: 'invalid_request', error_description: LOGOUT_TOKEN_REFUSALS[refusal] });
  };

  app.post(
    BACKCHANNEL_LOGOUT_PATH,
    {
      bodyLimit: BODY_LIMIT_BYTES,
      // Anything the framework refuses (another content type, a body too large, a broken form) is
      // still answered in the protocol's terms, never with the citizens' HTML error page.
      errorHandler: (err: FastifyError, request, reply) => {
        const status = err.statusCode ?? 500;
        if (status >= 400 && status < 500) {
          request.log.warn(
            { refusal: 'missing_token', cause: err.code },
            'demo-sp: back-channel logout refused',
          );
          return refuse(reply, 'missing_token');
        }
        request.log.error({ cause: describeForLog(err) }, 'demo-sp: back-channel logout failed');
        return reply
          .code(500)
          .header('cache-control', 'no-store')
          .send({ error: 'server_error', error_description: 'the logout could not be processed' });
      },
    },
    async (request, reply) => {
      const form = request.body;
      const isForm = /^application\/x-www-form-urlencoded\s*(;|$)/i.test(
        request.headers['content-type'] ?? '',
      );
      const token =
        isForm && typeof form === 'object' && form !== null && 'logout_token' in form
          ? form.logout_token
          : undefined;
      if (typeof token !== 'string' || token === '') return refuse(reply, 'missing_token');

      let claims: LogoutTokenClaims;
      try {
        claims = await relais.verifyLogoutToken(token);
        // §2.6 step 7: checked last, so that only a token of the hub can take a jti.
        if (seenJtis.get(claims.jti)) throw new LogoutTokenError('replayed');
        seenJtis.set(claims.jti, true);
      } catch (err) {
        if (err instanceof LogoutTokenError) {
          request.log.warn({ refusal: err.refusal }, 'demo-sp: back-channel logout refused');
          return refuse(reply, err.refusal);
        }
        request.log.warn({ cause: describeForLog(err) }, 'demo-sp: back-channel logout not verifiable');
        journal.add({ at: new Date(), sidDigest: undefined, outcome: { kind: 'unverifiable' } });
        // Not the token's fault: the hub tries again later.
        return reply
          .code(503)
          .header('cache-control', 'no-store')
          .header('retry-after', '5')
          .send({ error: 'temporarily_unavailable', error_description: 'the hub keys could not be fetched' });
      }

      const sessions = endSessions({ sid: claims.sid, sub: claims.sub });
      const digest = claims.sid === undefined ? undefined : sidDigest(claims.sid);
      journal.add({ at: new Date(), sidDigest: digest, outcome: { kind: 'ended', sessions } });
      request.log.info({ sid: digest, sessions }, 'demo-sp: back-channel logout');
      // §2.8: 200 once the sessions are ended (none left to end is a success too).
      return reply.code(200).header('cache-control', 'no-store').send();
    },
  );
}
