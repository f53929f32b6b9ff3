// Instances started together on a fresh database agree on one signing key set.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { createHub, type Hub } from '../../src/hub.ts';

const url = process.env.DATABASE_URL;
const schema = `keys_${randomBytes(6).toString('hex')}`;
const hubs: Hub[] = [];

afterAll(async () => {
  await Promise.all(hubs.map((hub) => hub.close()));
  if (!url) return;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop schema if exists ${schema} cascade`);
  await admin.end();
});

it.runIf(url)(
  'creates one key of each algorithm, signing and encryption, when two instances start at once',
  async () => {
    const config = loadConfig({
      DATABASE_URL: url,
      DEMO: 'false',
      SUB_SECRET: 'keys-test-sub-secret-0123456789abcdef0123',
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      COOKIE_KEYS: randomBytes(32).toString('hex'),
    });
    hubs.push(...(await Promise.all([0, 1].map(() => createHub({ config, sqlSchema: schema })))));
    const [a, b] = hubs;
    const jwksA = (await a?.app.inject({ url: '/jwks' }))?.json() as { keys: Array<{ alg: string }> };
    const jwksB = (await b?.app.inject({ url: '/jwks' }))?.json();
    expect(jwksA).toEqual(jwksB);
    expect(jwksA.keys.map((key) => key.alg).sort()).toEqual(['ECDH-ES', 'ES256', 'RS256', 'RSA-OAEP-256']);
  },
);
