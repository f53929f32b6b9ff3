// The hub's JWE toward SPs (FranceConnect+): a signed JWT encrypted to the SP's public key, with
// ECDH-ES (direct key agreement, P-256) or RSA-OAEP-256, and A256GCM (RFC 7516, RFC 7518 §4.6).
//
// Why not oidc-provider's own encryption: it goes through jose on WebCrypto, where each step of
// ECDH-ES (an ephemeral key, the key agreement, the digest, AES-GCM) is a job on libuv's thread
// pool; the same work done with node:crypto's synchronous calls costs about a quarter of the CPU
// (npm run bench, JWE leg: 1.3–2.3 ms of hub CPU per login with jose, about 0.5 ms this way).
// The output is plain compact JWE: jose and openid-client decrypt it (test/unit/op/jwe.test.ts).
import {
  constants,
  createCipheriv,
  createECDH,
  createPublicKey,
  hash,
  type KeyObject,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import type { ENCRYPTION_ALGS } from '../config/federation.ts';

export type JweAlg = (typeof ENCRYPTION_ALGS)[number];

/** The SP's public key as a JWK (kty EC P-256 for ECDH-ES, RSA for RSA-OAEP-256), with its kid. */
export interface RecipientKey {
  kty: string;
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  kid?: string;
}

const uint32 = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
};

// Concat KDF's OtherInfo for direct ECDH-ES with A256GCM: AlgorithmID "A256GCM", empty apu and
// apv, 256 bits of key (RFC 7518 §4.6.2). One round of SHA-256 gives the whole key.
const ECDH_OTHER_INFO = Buffer.concat([uint32(7), Buffer.from('A256GCM'), uint32(0), uint32(0), uint32(256)]);

// Parsed once per key object (oidc-provider and the registry keep their JWK objects).
const points = new WeakMap<object, Buffer>();
const rsaKeys = new WeakMap<object, KeyObject>();

function uncompressedPoint(key: RecipientKey): Buffer {
  let point = points.get(key);
  if (!point) {
    if (key.kty !== 'EC' || key.crv !== 'P-256' || !key.x || !key.y)
      throw new TypeError('ECDH-ES needs an EC P-256 public key');
    point = Buffer.concat([Buffer.of(4), Buffer.from(key.x, 'base64url'), Buffer.from(key.y, 'base64url')]);
    points.set(key, point);
  }
  return point;
}

function rsaKey(key: RecipientKey): KeyObject {
  let object = rsaKeys.get(key);
  if (!object) {
    if (key.kty !== 'RSA' || !key.n || !key.e) throw new TypeError('RSA-OAEP-256 needs an RSA public key');
    object = createPublicKey({ key: { kty: 'RSA', n: key.n, e: key.e }, format: 'jwk' });
    rsaKeys.set(key, object);
  }
  return object;
}

const b64 = (buffer: Buffer) => buffer.toString('base64url');

/**
 * The compact JWE of `signed` (a JWS) to `key`: header `{alg, enc: "A256GCM", cty: "JWT", kid}`,
 * plus the ephemeral public key for ECDH-ES.
 */
export function encryptJwt(signed: string, alg: JweAlg, key: RecipientKey): string {
  const fields = { cty: 'JWT', ...(key.kid ? { kid: key.kid } : {}) };
  let header: Record<string, unknown>;
  let cek: Buffer;
  let encryptedKey: Buffer;
  if (alg === 'ECDH-ES') {
    const ephemeral = createECDH('prime256v1');
    const publicPoint = ephemeral.generateKeys();
    const shared = ephemeral.computeSecret(uncompressedPoint(key));
    cek = hash('sha256', Buffer.concat([uint32(1), shared, ECDH_OTHER_INFO]), 'buffer');
    encryptedKey = Buffer.alloc(0);
    const epk = {
      kty: 'EC',
      crv: 'P-256',
      x: b64(publicPoint.subarray(1, 33)),
      y: b64(publicPoint.subarray(33)),
    };
    header = { alg, enc: 'A256GCM', ...fields, epk };
  } else {
    cek = randomBytes(32);
    encryptedKey = publicEncrypt(
      { key: rsaKey(key), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      cek,
    );
    header = { alg, enc: 'A256GCM', ...fields };
  }
  const protectedHeader = b64(Buffer.from(JSON.stringify(header)));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', cek, iv);
  cipher.setAAD(Buffer.from(protectedHeader, 'ascii'));
  const ciphertext = Buffer.concat([cipher.update(signed, 'utf8'), cipher.final()]);
  return [protectedHeader, b64(encryptedKey), b64(iv), b64(ciphertext), b64(cipher.getAuthTag())].join('.');
}
