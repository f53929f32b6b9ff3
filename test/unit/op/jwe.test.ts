import { compactDecrypt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { encryptJwt, type JweAlg } from '../../../src/op/jwe.ts';

const signed = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJl';

describe("the hub's JWE toward SPs", () => {
  for (const alg of ['ECDH-ES', 'RSA-OAEP-256'] as JweAlg[]) {
    it(`${alg}: jose decrypts it with the SP's private key, header as RFC 7516 says`, async () => {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const jwk = { ...(await exportJWK(publicKey)), kid: `sp-${alg}` };
      const jwe = encryptJwt(signed, alg, jwk as never);
      expect(jwe.split('.')).toHaveLength(5);
      const header = decodeProtectedHeader(jwe);
      expect(header).toMatchObject({ alg, enc: 'A256GCM', cty: 'JWT', kid: `sp-${alg}` });
      if (alg === 'ECDH-ES') expect(header.epk).toMatchObject({ kty: 'EC', crv: 'P-256' });
      const { plaintext } = await compactDecrypt(jwe, privateKey, {
        keyManagementAlgorithms: [alg],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
      expect(new TextDecoder().decode(plaintext)).toBe(signed);
      // A fresh ephemeral key (or content key) and IV each time.
      expect(encryptJwt(signed, alg, jwk as never)).not.toBe(jwe);
    });
  }

  it('refuses a key of the wrong type', async () => {
    const { publicKey } = await generateKeyPair('RSA-OAEP-256', { extractable: true });
    const rsa = await exportJWK(publicKey);
    expect(() => encryptJwt(signed, 'ECDH-ES', rsa as never)).toThrow(/P-256/);
  });

  it('fails to decrypt once tampered with', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ECDH-ES', { extractable: true });
    const jwe = encryptJwt(signed, 'ECDH-ES', (await exportJWK(publicKey)) as never).split('.');
    const ciphertext = Buffer.from(jwe[3] ?? '', 'base64url');
    ciphertext[0] = (ciphertext[0] ?? 0) ^ 1;
    jwe[3] = ciphertext.toString('base64url');
    await expect(compactDecrypt(jwe.join('.'), privateKey)).rejects.toThrow();
  });
});
