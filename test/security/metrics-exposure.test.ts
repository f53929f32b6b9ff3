// Threat: /metrics tells who logs in where and how often (SPs, IdPs, error codes). Outside demo mode
// it answers only with METRICS_TOKEN, unless the operator opens it on purpose (METRICS_PUBLIC=true).
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { createHub, type Hub } from '../../src/hub.ts';

let hub: Hub | undefined;
afterEach(() => hub?.close());

async function hubWith(env: Record<string, string>) {
  const config = loadConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    DEMO: 'false',
    SUB_SECRET: 'metrics-sub-secret-0123456789abcdef0123',
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    COOKIE_KEYS: randomBytes(32).toString('hex'),
    ...env,
  });
  const schema = `metrics_${randomBytes(6).toString('hex')}`;
  hub = await createHub({
    config,
    federation: { serviceProviders: [], identityProviders: [] },
    sqlSchema: schema,
    kvPrefix: `relais:test:${schema}:`,
    pgliteDir: null,
  });
  return hub;
}

describe('/metrics outside demo mode', () => {
  it('is refused without METRICS_TOKEN, saying how to open it', async () => {
    const answer = await (await hubWith({})).app.inject('/metrics');
    expect(answer.statusCode).toBe(401);
    expect(answer.json()).toMatchObject({
      error: 'unauthorized',
      error_description: expect.stringMatching(/METRICS_TOKEN/),
    });
    expect(answer.body).not.toContain('relais_');
  });

  it('answers the scraper holding METRICS_TOKEN, and only it', async () => {
    const token = 'scraper-token-0123456789';
    const app = (await hubWith({ METRICS_TOKEN: token })).app;
    expect((await app.inject('/metrics')).statusCode).toBe(401);
    const scraped = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } });
    expect(scraped.statusCode).toBe(200);
    expect(scraped.body).toContain('relais_rate_limited_total');
  });

  it('is open when the operator says so (METRICS_PUBLIC=true)', async () => {
    const answer = await (await hubWith({ METRICS_PUBLIC: 'true' })).app.inject('/metrics');
    expect(answer.statusCode).toBe(200);
  });
});
