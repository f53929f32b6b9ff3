// JWTs an attacker would hand a client, made from the IdP's genuine ones: re-signed with an
// algorithm the client did not configure, or with their claims changed under the IdP's own key.
import { createHmac, createPublicKey } from 'node:crypto';
import { CompactSign, decodeJwt, decodeProtectedHeader, importJWK, type JWK } from 'jose';

/**
 * How a forged JWT is signed:
 * - `none`: unsecured (`alg: none`, empty signature);
 * - `hs256-public-key`: HS256 keyed with the PEM of the IdP's public key the JWT names by `kid`
 *   (its RS256 key when it names none): the classic key-confusion attack;
 * - `RS256` / `ES256`: with the IdP's own key of that algorithm, which its JWKS publishes.
 */
export type Forgery = 'none' | 'hs256-public-key' | 'RS256' | 'ES256';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'];
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function keyOf(keys: readonly JWK[], match: { kid?: string | undefined; alg?: string }): JWK {
  const key = keys.find((candidate) =>
    match.kid ? candidate.kid === match.kid : candidate.alg === match.alg,
  );
  if (!key) throw new Error(`mock IdP forgery: no signing key for ${match.kid ?? match.alg}`);
  return key;
}

async function sign(payload: Uint8Array, key: JWK, typ: unknown): Promise<string> {
  const alg = key.alg ?? '';
  return new CompactSign(payload)
    .setProtectedHeader({ alg, kid: key.kid, ...(typeof typ === 'string' ? { typ } : {}) })
    .sign(await importJWK(key, alg));
}

/** `jwt`'s payload, untouched, signed the `forgery` way. */
export async function forgeSignature(jwt: string, forgery: Forgery, keys: readonly JWK[]): Promise<string> {
  const header = decodeProtectedHeader(jwt);
  const payload = jwt.split('.')[1] ?? '';
  if (forgery === 'none') return `${encode({ alg: 'none', typ: header.typ })}.${payload}.`;
  if (forgery === 'hs256-public-key') {
    const named = header.alg === 'HS256' ? { alg: 'RS256' } : { kid: header.kid };
    const key = keyOf(keys, named);
    const publicJwk = Object.fromEntries(
      Object.entries(key).filter(([member]) => !PRIVATE_MEMBERS.includes(member)),
    );
    const pem = createPublicKey({ key: publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const input = `${encode({ alg: 'HS256', kid: key.kid, typ: header.typ })}.${payload}`;
    return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
  }
  return sign(Buffer.from(payload, 'base64url'), keyOf(keys, { alg: forgery }), header.typ);
}

/**
 * `jwt` with these claims changed (`null` removes one), signed again with the IdP's key that
 * signed it: a genuine signature over claims the client must still refuse.
 */
export async function forgeClaims(
  jwt: string,
  claims: Readonly<Record<string, unknown>>,
  keys: readonly JWK[],
): Promise<string> {
  const header = decodeProtectedHeader(jwt);
  if (header.alg === 'HS256') throw new Error('mock IdP forgery: claims of an HS256 JWT are not re-signed');
  const payload: Record<string, unknown> = { ...decodeJwt(jwt) };
  for (const [claim, value] of Object.entries(claims)) {
    if (value === null) delete payload[claim];
    else payload[claim] = value;
  }
  return sign(
    new TextEncoder().encode(JSON.stringify(payload)),
    keyOf(keys, { kid: header.kid }),
    header.typ,
  );
}
