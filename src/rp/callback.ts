// Back from the IdP: every check FC v2 asks for before the hub believes an identity.
import { compactVerify, decodeProtectedHeader, errors as joseErrors } from 'jose';
import * as client from 'openid-client';
import { type Acr, deliveredLevel, establishedLevel } from '../acr.ts';
import type { IdentityProvider } from '../config/federation.ts';
import { RelaisError } from '../errors.ts';
import { translateIdpError } from './errors.ts';
import type { IdpClient, IdpClients } from './identity-providers.ts';
import type { IdpTransaction } from './transaction.ts';

/** What the IdP vouched for, verified; the claims are still untrusted as an identité pivot. */
export interface IdpAuthentication {
  idpUid: string;
  acr: Acr;
  amr: string[] | undefined;
  authTime: number;
  claims: Record<string, unknown>;
  /** The IdP's id_token, the hint of the logout at the IdP. */
  idToken: string;
  /** The IdP's own acr, as it sent it (ProConnect's `idp_acr`). */
  idpAcr: string | undefined;
}

/**
 * How the IdP's level is judged: FranceConnect's (a level the IdP declares, at least the one
 * asked; else R2004), or ProConnect's (a second factor: acr or amr `mfa`; else R2006).
 */
export type LevelRule = 'franceconnect' | 'proconnect';

/**
 * Every check FC v2 asks for, against the transaction the caller kept for this state; throws a
 * RelaisError (the IdP's failure, translated once here).
 */
export async function authenticateAtIdp(
  deps: { idpClients: IdpClients; callbackUrl: string },
  transaction: IdpTransaction,
  currentUrl: URL,
  levels: LevelRule = 'franceconnect',
): Promise<IdpAuthentication> {
  try {
    const idpClient = await deps.idpClients.get(transaction.idpUid);
    return await authenticate(idpClient, transaction, currentUrl, deps.callbackUrl, levels);
  } catch (error) {
    throw translateIdpError(transaction.idpUid, error);
  }
}

async function authenticate(
  idpClient: IdpClient,
  transaction: IdpTransaction,
  currentUrl: URL,
  callbackUrl: string,
  levels: LevelRule,
): Promise<IdpAuthentication> {
  const { idp, config, keyFor } = idpClient;
  const { state } = transaction;
  // openid-client checks state, iss (required when the IdP advertises it), the code exchange,
  // and the id_token's claims (iss, aud, exp, iat, nonce); the signature is checked below.
  const tokens = await client.authorizationCodeGrant(
    config,
    currentUrl,
    {
      expectedState: state,
      expectedNonce: transaction.nonce,
      pkceCodeVerifier: transaction.codeVerifier,
      idTokenExpected: true,
    },
    { redirect_uri: callbackUrl },
  );
  // An IdP that encrypts has had its id_token opened as it arrived (rp/identity-providers.ts): the
  // signed JWT inside is what is checked, and what the logout at the IdP hands back as its hint.
  const idToken = tokens.id_token;
  const idClaims = tokens.claims();
  if (!idToken || !idClaims) throw new RelaisError('R2003', { detail: `${idp.uid}: no id_token` });
  await verifySignature(idToken, idp.id_token_signed_response_alg, keyFor);

  // amr only when the IdP gave one (an empty list is none).
  const amrList = Array.isArray(idClaims.amr)
    ? idClaims.amr.filter((v): v is string => typeof v === 'string')
    : [];
  const amr = amrList.length ? amrList : undefined;
  const acr =
    levels === 'proconnect'
      ? establishedLevel(transaction.requiredAcr, idClaims.acr, amr)
      : deliveredLevel(idp, idClaims.acr, transaction.requiredAcr);
  if (!acr) {
    throw new RelaisError(levels === 'proconnect' ? 'R2006' : 'R2004', {
      detail: `${idp.uid}: acr ${String(idClaims.acr ?? 'missing')}`,
    });
  }
  const claims = await fetchIdentity(idpClient, tokens.access_token);
  if (claims.sub !== idClaims.sub)
    throw new RelaisError('R2003', { detail: `${idp.uid}: userinfo sub differs` });
  return {
    idpUid: idp.uid,
    acr,
    amr,
    authTime: typeof idClaims.auth_time === 'number' ? idClaims.auth_time : Math.floor(Date.now() / 1000),
    claims,
    idToken,
    idpAcr: typeof idClaims.acr === 'string' ? idClaims.acr : undefined,
  };
}

/**
 * Userinfo as JSON, as a signed JWT, or as a signed JWT encrypted to the hub, as configured for
 * the IdP: any other form is refused.
 */
async function fetchIdentity({ idp, config, keyFor, decryptUserinfo }: IdpClient, accessToken: string) {
  const endpoint = config.serverMetadata().userinfo_endpoint;
  if (!endpoint) throw new RelaisError('R2003', { detail: `${idp.uid}: no userinfo_endpoint` });
  const alg = idp.userinfo_signed_response_alg;
  const headers = new Headers({ accept: alg ? 'application/jwt' : 'application/json' });
  const response = await client.fetchProtectedResource(
    config,
    accessToken,
    new URL(endpoint),
    'GET',
    null,
    headers,
  );
  if (response.status >= 500)
    throw new RelaisError('R2002', { detail: `${idp.uid}: userinfo ${response.status}` });
  if (response.status !== 200)
    throw new RelaisError('R2003', { detail: `${idp.uid}: userinfo ${response.status}` });
  const type = response.headers.get('content-type')?.split(';')[0]?.trim();
  const body = await response.text();
  let claims: unknown;
  if (alg) {
    if (type !== 'application/jwt')
      throw new RelaisError('R2003', { detail: `${idp.uid}: userinfo is not a JWT` });
    // Five parts: a JWE. Expected when the IdP is configured to encrypt, refused otherwise.
    const encrypted = body.split('.').length === 5;
    if (encrypted !== Boolean(idp.userinfo_encrypted_response_alg))
      throw new RelaisError('R2003', {
        detail: `${idp.uid}: userinfo ${encrypted ? 'encrypted, not expected' : 'not encrypted'}`,
      });
    const jws = encrypted ? await decryptUserinfo(body) : body;
    claims = JSON.parse(new TextDecoder().decode(await verifySignature(jws, alg, keyFor)));
    checkSignedUserinfo(idp, claims, Math.floor(Date.now() / 1000));
  } else {
    if (type !== 'application/json')
      throw new RelaisError('R2003', { detail: `${idp.uid}: userinfo is not JSON` });
    claims = JSON.parse(body);
  }
  if (
    !claims ||
    typeof claims !== 'object' ||
    Array.isArray(claims) ||
    typeof (claims as { sub?: unknown }).sub !== 'string'
  ) {
    throw new RelaisError('R2003', { detail: `${idp.uid}: userinfo without sub` });
  }
  return claims as Record<string, unknown> & { sub: string };
}

/** How far the hub's clock and an IdP's may disagree on a signed userinfo's `exp`. */
export const USERINFO_CLOCK_SKEW_SECONDS = 60;

/**
 * A signed userinfo's registered claims (OIDC Core §5.3.2): `iss` and `aud` SHOULD be there, so
 * they are checked when present (as openid-client does); an `exp` gone by (beyond the skew) fails.
 */
export function checkSignedUserinfo(idp: IdentityProvider, claims: unknown, nowSeconds: number): void {
  if (!claims || typeof claims !== 'object') return;
  const { iss, aud, exp } = claims as { iss?: unknown; aud?: unknown; exp?: unknown };
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (
    (iss !== undefined && iss !== idp.issuer) ||
    (aud !== undefined && !audiences.includes(idp.client_id))
  ) {
    throw new RelaisError('R2003', { detail: `${idp.uid}: userinfo iss or aud` });
  }
  if (exp !== undefined && (typeof exp !== 'number' || exp + USERINFO_CLOCK_SKEW_SECONDS < nowSeconds)) {
    throw new RelaisError('R2003', { detail: `${idp.uid}: userinfo expired` });
  }
}

/**
 * FC v2 requires the signature check openid-client skips by default; only the configured alg
 * passes. An unknown kid reloads the IdP's JWKS once before failing, so a key rotation at the IdP
 * never breaks a login.
 */
async function verifySignature(
  jws: string,
  alg: 'ES256' | 'RS256' | 'HS256',
  keyFor: IdpClient['keyFor'],
): Promise<Uint8Array> {
  if (decodeProtectedHeader(jws).alg !== alg)
    throw new RelaisError('R2003', { detail: `unexpected alg, ${alg} expected` });
  const key = keyFor(alg);
  if (key instanceof Uint8Array) return (await compactVerify(jws, key, { algorithms: [alg] })).payload;
  try {
    return (await compactVerify(jws, key, { algorithms: [alg] })).payload;
  } catch (error) {
    if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
    await key.reload();
    return (await compactVerify(jws, key, { algorithms: [alg] })).payload;
  }
}
