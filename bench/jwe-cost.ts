// What encrypting an SP's id_token and userinfo costs, in-process (no HTTP, no hub), and where
// ECDH-ES's time goes.
//
// The encryptions are jose's CompactEncrypt of the signed JWS as oidc-provider 9 calls it
// (lib/helpers/jwt.js encrypt, from lib/models/id_token.js: a Buffer of the JWS, the header
// {alg, enc, cty, kid, iss, aud}, and the SP's public JWK from its client's key store, the same
// object every time since the client is cached, so jose imports it once and keeps the CryptoKey in
// a WeakMap): one id_token and one userinfo per algorithm, plus an X25519 recipient key, which an
// SP may register for ECDH-ES instead of a P-256 one.
//
// Two ways, as the hub meets them: hot, operations back to back (what a busy hub pays at best),
// and cold, one operation every 20 ms (what a lone login's /token or /userinfo pays after the hub
// idled: on this shared virtual machine everything costs 2-7 times more after a pause, a plain
// ES256 signature included, so the cold figures are the ones to hold the metered lone login to).
//
// Where ECDH-ES's time goes: the same WebCrypto calls jose 6 makes (lib/key_management.js,
// lib/content_encryption.js), in its order, with the process's CPU read between them: a fresh
// ephemeral P-256 key pair (subtle.generateKey), its export as JWK for the epk header
// (subtle.exportKey), ECDH with the SP's key (subtle.deriveBits), the Concat KDF (one
// subtle.digest), AES-256-GCM of the JWS under the derived key (subtle.importKey raw +
// subtle.encrypt); RSA-OAEP-256 likewise (the CEK wrapped with subtle.encrypt, then AES-GCM).
// jose's own work (headers, base64url, checks, its key cache) is the whole less those steps, the
// two measured in turn; the tail (mean less median: GC, a run the machine slowed) apart. In Node
// 22, four of ECDH-ES's calls are jobs on libuv's thread pool and a promise back (generateKey,
// deriveBits, digest, AES-GCM encrypt; exportKey and importKey run on the main thread), two of
// RSA-OAEP-256's (the RSA and the AES-GCM encrypt): WebCrypto's dispatch alone (a digest of 1 byte)
// is measured too, and the hub's own encryption (src/op/jwe.ts: node:crypto's synchronous calls,
// createECDH, hash, createCipheriv, publicEncrypt; checked to decrypt with jose), which the hub
// runs instead of oidc-provider's jose path for that reason.
//
// CPU is the whole process's (process.cpuUsage: every thread, the thread pool included). Hot: per
// operation, the median of several blocks of back-to-back operations, the variants in turn; cold
// and the steps: the median over the operations. The bench runs this while no stage runs, so that
// the process does nothing else.

import { createECDH, type webcrypto } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompactEncrypt, CompactSign, compactDecrypt, exportJWK, generateKeyPair, type JWK } from 'jose';
import { encryptJwt } from '../src/op/jwe.ts';

export interface OpCost {
  op: string;
  /** Process CPU per operation (every thread), µs. */
  cpuUs: number;
  /** Wall time per operation, µs (hot only). */
  wallUs: number | null;
}

export interface EncryptionCosts {
  /** Per algorithm and key: one id_token plus one userinfo, as the hub encrypts them for one login. */
  perLogin: Array<{ alg: string; key: string; cpuUs: number; coldCpuUs: number | null }>;
  /**
   * One id_token's encryption taken apart (CPU µs; runs that alternate jose's whole encryption and
   * its steps replayed): the steps' medians, jose's own work (the whole's median less them), the
   * tail (the whole's mean less its median); they add up to the whole's mean.
   */
  breakdown: Record<string, Array<{ step: string; cpuUs: number }>>;
  /** Back to back. */
  hot: OpCost[];
  /** One every COLD_GAP_MS. */
  cold: OpCost[];
  /** Sizes: the signed JWS (id_token, userinfo) and the id_token's JWE, bytes. */
  bytes: { idToken: number; userinfo: number; idTokenJwe: Record<string, number> };
  iterations: { hot: number; blocks: number; cold: number; steps: number; coldGapMs: number };
  /** jose (which encrypts), oidc-provider (which calls it) and Node (whose WebCrypto jose uses). */
  versions: Record<string, string>;
}

const subtle = globalThis.crypto.subtle;
const COLD_GAP_MS = 20;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/** The process's CPU time so far, every thread, µs. */
const cpuNow = () => {
  const used = process.cpuUsage();
  return used.user + used.system;
};

interface Variant {
  op: string;
  fn: () => unknown;
}

/**
 * Hot: each variant run `n` times back to back, the variants in turn, `blocks` times over (so that
 * a machine getting slower or faster meanwhile weighs on all of them alike), after a warm-up; CPU
 * and wall time per run, medians of the blocks.
 */
async function timeHot(variants: Variant[], n: number, blocks: number): Promise<OpCost[]> {
  const cpu = variants.map(() => [] as number[]);
  const wall = variants.map(() => [] as number[]);
  for (const { fn } of variants) for (let i = 0; i < Math.min(50, n); i += 1) await fn();
  for (let b = 0; b < blocks; b += 1) {
    for (const [v, { fn }] of variants.entries()) {
      const cpuBefore = cpuNow();
      const began = performance.now();
      for (let i = 0; i < n; i += 1) await fn();
      const elapsed = performance.now() - began;
      cpu[v]?.push((cpuNow() - cpuBefore) / n);
      wall[v]?.push((elapsed * 1000) / n);
    }
  }
  return variants.map(({ op }, v) => ({
    op,
    cpuUs: Math.round(median(cpu[v] ?? [])),
    wallUs: Math.round(median(wall[v] ?? [])),
  }));
}

/** Cold: one operation every COLD_GAP_MS, the variants in turn, `n` each; the median CPU of one. */
async function timeCold(variants: Variant[], n: number): Promise<OpCost[]> {
  const cpu = variants.map(() => [] as number[]);
  for (let i = 0; i < n; i += 1) {
    for (const [v, { fn }] of variants.entries()) {
      await sleep(COLD_GAP_MS);
      const before = cpuNow();
      await fn();
      cpu[v]?.push(cpuNow() - before);
    }
  }
  return variants.map(({ op }, v) => ({ op, cpuUs: Math.round(median(cpu[v] ?? [])), wallUs: null }));
}

/**
 * Steps run `n` times, the process's CPU read between them, each run after one of `whole` (the
 * same work as jose does it, timed as one): the medians of each step and of the whole, from the
 * same minutes of the machine.
 */
async function timeSteps(
  names: string[],
  run: (mark: () => void) => Promise<unknown>,
  whole: () => unknown,
  n: number,
): Promise<{ steps: Array<{ step: string; cpuUs: number }>; wholeUs: number; wholeMeanUs: number }> {
  const samples = names.map(() => [] as number[]);
  const wholes: number[] = [];
  for (let i = 0; i < n + 50; i += 1) {
    const before = cpuNow();
    await whole();
    const after = cpuNow();
    const marks = [cpuNow()];
    await run(() => marks.push(cpuNow()));
    if (i < 50) continue; // warm-up
    wholes.push(after - before);
    for (let s = 0; s < names.length; s += 1) samples[s]?.push((marks[s + 1] ?? 0) - (marks[s] ?? 0));
  }
  return {
    steps: names.map((step, s) => ({ step, cpuUs: Math.round(median(samples[s] ?? [])) })),
    wholeUs: Math.round(median(wholes)),
    wholeMeanUs: Math.round(wholes.reduce((sum, w) => sum + w, 0) / Math.max(1, wholes.length)),
  };
}

const ISSUER = 'https://relais.example.gouv.fr';
const AUDIENCE = 'bench-sp-ecdh';

/** An id_token and a userinfo as the hub's SP leg signs them (ES256, pairwise sub, pivot identity). */
async function signedTokens(): Promise<{ idToken: string; userinfo: string }> {
  const { privateKey } = await generateKeyPair('ES256');
  const now = Math.floor(Date.now() / 1000);
  const common = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'a0f1c9d2e3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7f8v1',
    iat: now,
    exp: now + 60,
  };
  const sign = (payload: object) =>
    new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'ES256', kid: 'hub-es256-2026-12', typ: 'JWT' })
      .sign(privateKey);
  return {
    idToken: await sign({
      ...common,
      nonce: 'n-0S6_WzA2Mj3fCFfWpQ0v0x8lRv8',
      acr: 'eidas1',
      amr: ['pwd'],
      auth_time: now - 20,
      at_hash: 'x7Vb1gRvdKOQGv6Yg0mWtA',
      sid: 'b5b6bb21-8fd1-4b43-8d0e-1ea4a6f0c7f1',
      idp_id: 'mock-idp',
      idp_acr: 'eidas1',
    }),
    userinfo: await sign({
      ...common,
      given_name: 'Angela Claire Louise',
      family_name: 'DUBOIS',
      birthdate: '1962-08-24',
      gender: 'female',
      birthplace: '75107',
      birthcountry: '99100',
      email: 'angela.dubois@example.fr',
      preferred_username: 'DUBOIS',
    }),
  };
}

/** oidc-provider's protected header for an encrypted token (lib/models/id_token.js). */
const header = (alg: string, kid: string) => ({
  alg,
  enc: 'A256GCM',
  cty: 'JWT',
  kid,
  iss: ISSUER,
  aud: AUDIENCE,
});

type Pair = { privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey']; publicJwk: JWK };

/** An SP's key pair; the public half as its registry entry gives it (plain JSON, kept by oidc-provider). */
async function spKeyPair(alg: 'ECDH-ES' | 'RSA-OAEP-256', crv?: 'X25519'): Promise<Pair> {
  const { publicKey, privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(crv ? { crv } : {}),
  });
  const kid = `sp-${alg}${crv ? `-${crv}` : ''}`;
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'enc' } };
}

const b64u = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const uint32be = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
};
/** Concat KDF's OtherInfo for ECDH-ES (direct) with A256GCM, no apu/apv (RFC 7518 §4.6.2). */
const OTHER_INFO = Buffer.concat([
  uint32be(7),
  Buffer.from('A256GCM'),
  uint32be(0),
  uint32be(0),
  uint32be(256),
]);

export async function measureEncryptionCosts(options: { quick: boolean }): Promise<EncryptionCosts> {
  const iterations = {
    hot: options.quick ? 100 : 300,
    blocks: options.quick ? 5 : 7,
    cold: options.quick ? 40 : 80,
    steps: options.quick ? 300 : 1000,
    coldGapMs: COLD_GAP_MS,
  };
  const { idToken, userinfo } = await signedTokens();
  const idTokenBytes = Buffer.from(idToken);
  const pairs: Record<string, Pair> = {
    'ECDH-ES': await spKeyPair('ECDH-ES'),
    'RSA-OAEP-256': await spKeyPair('RSA-OAEP-256'),
    'ECDH-ES X25519': await spKeyPair('ECDH-ES', 'X25519'),
  };
  const ecdh = pairs['ECDH-ES'] as Pair;
  const rsa = pairs['RSA-OAEP-256'] as Pair;
  // As oidc-provider: a Buffer of the JWS, the JWK object (the same one each time: jose's cache).
  const encrypt = (name: string, jwk: JWK, jws: string) =>
    new CompactEncrypt(Buffer.from(jws))
      .setProtectedHeader(header(name.replace(' X25519', ''), jwk.kid as string))
      .encrypt(jwk);
  const jweSizes: Record<string, number> = {};
  for (const [name, { publicJwk, privateKey }] of Object.entries(pairs)) {
    const sample = await encrypt(name, publicJwk, idToken);
    if (new TextDecoder().decode((await compactDecrypt(sample, privateKey)).plaintext) !== idToken)
      throw new Error(`${name}: the JWE does not decrypt to the JWS`);
    jweSizes[name] = sample.length;
  }
  const { kid: _kid, alg: _alg, use: _use, ...bareEc } = ecdh.publicJwk;
  const spPoint = Buffer.concat([
    Buffer.of(4),
    Buffer.from(bareEc.x as string, 'base64url'),
    Buffer.from(bareEc.y as string, 'base64url'),
  ]);
  for (const [alg, pair] of [
    ['ECDH-ES', ecdh],
    ['RSA-OAEP-256', rsa],
  ] as const) {
    const hubJwe = encryptJwt(idToken, alg, pair.publicJwk as never);
    if (new TextDecoder().decode((await compactDecrypt(hubJwe, pair.privateKey)).plaintext) !== idToken)
      throw new Error(`the hub's ${alg} encryption (src/op/jwe.ts) does not decrypt with jose`);
  }
  const { privateKey: hubKey } = await generateKeyPair('ES256');

  const signature: Variant = {
    op: 'ES256 signature of the id_token (CompactSign), which every leg pays',
    fn: () => new CompactSign(idTokenBytes).setProtectedHeader({ alg: 'ES256' }).sign(hubKey),
  };
  const encryptions: Variant[] = Object.entries(pairs).flatMap(([name, { publicJwk }]) => [
    {
      op: `${name}: encrypt the id_token (CompactEncrypt, A256GCM)`,
      fn: () => encrypt(name, publicJwk, idToken),
    },
    { op: `${name}: encrypt the userinfo`, fn: () => encrypt(name, publicJwk, userinfo) },
  ]);
  // What the hub runs (src/op/jwe.ts): node:crypto's synchronous calls, checked by jose above.
  const sync: Variant = {
    op: "ECDH-ES: the whole id_token encryption with node:crypto, the hub's (src/op/jwe.ts)",
    fn: () => encryptJwt(idToken, 'ECDH-ES', ecdh.publicJwk as never),
  };
  const syncRsa: Variant = {
    op: "RSA-OAEP-256: the whole id_token encryption with node:crypto, the hub's (src/op/jwe.ts)",
    fn: () => encryptJwt(idToken, 'RSA-OAEP-256', rsa.publicJwk as never),
  };
  const hot = await timeHot(
    [
      signature,
      ...encryptions,
      {
        // Were the SP's key not cached (a client rebuilt for each request): imported every time.
        op: 'ECDH-ES: encrypt the id_token, the SP key imported each time (no cache)',
        fn: () => encrypt('ECDH-ES', { ...ecdh.publicJwk }, idToken),
      },
      {
        op: "WebCrypto's dispatch alone: subtle.digest of 1 byte (a thread-pool job and back)",
        fn: () => subtle.digest('SHA-256', new Uint8Array(1)),
      },
      {
        op: 'node:crypto sync: P-256 key pair + ECDH (createECDH + computeSecret)',
        fn: () => {
          const e = createECDH('prime256v1');
          e.generateKeys();
          return e.computeSecret(spPoint);
        },
      },
      sync,
      syncRsa,
    ],
    iterations.hot,
    iterations.blocks,
  );
  const cold = await timeCold(
    [signature, ...encryptions.filter((v) => !v.op.includes('X25519')), sync, syncRsa],
    iterations.cold,
  );

  // jose's steps, as WebCrypto calls in its order, the CPU read between them.
  const recipient = await subtle.importKey('jwk', bareEc, { name: 'ECDH', namedCurve: 'P-256' }, true, []);
  const aad = Buffer.from(b64u(JSON.stringify(header('ECDH-ES', 'sp-ECDH-ES'))), 'ascii');
  const aesGcm = async (cek: Uint8Array) => {
    const key = await subtle.importKey('raw', cek, 'AES-GCM', false, ['encrypt']);
    return subtle.encrypt(
      {
        name: 'AES-GCM',
        iv: globalThis.crypto.getRandomValues(new Uint8Array(12)),
        additionalData: aad,
        tagLength: 128,
      },
      key,
      idTokenBytes,
    );
  };
  const ecdhSteps = await timeSteps(
    [
      'ephemeral key pair (generateKey)',
      'epk JWK export (exportKey)',
      'ECDH with the SP key (deriveBits)',
      'Concat KDF (digest)',
      'AES-256-GCM (importKey + encrypt)',
    ],
    async (mark) => {
      const pair = (await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, [
        'deriveBits',
      ])) as webcrypto.CryptoKeyPair;
      mark();
      await subtle.exportKey('jwk', pair.privateKey);
      mark();
      const z = new Uint8Array(
        await subtle.deriveBits({ name: 'ECDH', public: recipient }, pair.privateKey, 256),
      );
      mark();
      const cek = new Uint8Array(await subtle.digest('SHA-256', Buffer.concat([uint32be(1), z, OTHER_INFO])));
      mark();
      await aesGcm(cek);
      mark();
    },
    () => encrypt('ECDH-ES', ecdh.publicJwk, idToken),
    iterations.steps,
  );
  const { kid: _rkid, use: _ruse, ...bareRsa } = rsa.publicJwk;
  const rsaKey = await subtle.importKey('jwk', bareRsa, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, [
    'encrypt',
  ]);
  const rsaSteps = await timeSteps(
    ['CEK wrap (RSA-OAEP encrypt)', 'AES-256-GCM (importKey + encrypt)'],
    async (mark) => {
      const cek = globalThis.crypto.getRandomValues(new Uint8Array(32));
      await subtle.encrypt({ name: 'RSA-OAEP' }, rsaKey, cek);
      mark();
      await aesGcm(cek);
      mark();
    },
    () => encrypt('RSA-OAEP-256', rsa.publicJwk, idToken),
    iterations.steps,
  );

  const cpuOf = (list: OpCost[], prefix: string) => list.find((o) => o.op.startsWith(prefix))?.cpuUs;
  const perLogin: EncryptionCosts['perLogin'] = Object.keys(pairs).map((name) => {
    const both = (list: OpCost[]) => {
      const id = cpuOf(list, `${name}: encrypt the id_token`);
      const info = cpuOf(list, `${name}: encrypt the userinfo`);
      return id === undefined || info === undefined ? null : id + info;
    };
    return {
      alg: name.replace(' X25519', ''),
      key: name.endsWith('X25519') ? 'X25519' : name === 'ECDH-ES' ? 'P-256' : 'RSA 2048',
      cpuUs: both(hot) ?? 0,
      coldCpuUs: both(cold),
    };
  });
  // The whole's mean = the steps' medians + jose's own (the whole's median less the steps') + the
  // tail (the mean less the median: garbage collection, the odd run the machine slowed down).
  const withRest = ({ steps, wholeUs, wholeMeanUs }: Awaited<ReturnType<typeof timeSteps>>) => [
    ...steps,
    {
      step: "jose's own work (headers, base64url, checks, key cache: the whole's median less the steps')",
      cpuUs: wholeUs - steps.reduce((sum, s) => sum + s.cpuUs, 0),
    },
    { step: 'tail (the mean less the median: GC, runs slowed by the machine)', cpuUs: wholeMeanUs - wholeUs },
  ];
  return {
    perLogin,
    breakdown: {
      'ECDH-ES (P-256)': withRest(ecdhSteps),
      'RSA-OAEP-256 (2048)': withRest(rsaSteps),
    },
    hot,
    cold,
    bytes: { idToken: idTokenBytes.length, userinfo: Buffer.byteLength(userinfo), idTokenJwe: jweSizes },
    iterations,
    versions: {
      jose: await packageVersion('jose'),
      'oidc-provider': await packageVersion('oidc-provider'),
      node: process.version,
    },
  };
}

async function packageVersion(name: string): Promise<string> {
  const file = new URL(`../node_modules/${name}/package.json`, import.meta.url);
  return readFile(file, 'utf8').then(
    (text) => (JSON.parse(text) as { version: string }).version,
    () => 'unknown',
  );
}
