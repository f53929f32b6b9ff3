// npm run bench: complete brokered logins against a hub process (real PostgreSQL and Redis unless
// --embedded), with the mock IdP as its own process; the hub's CPU time per login comes from the
// hub process itself (/proc), so the driver's share of the machine does not distort it. The same
// driver then runs single-leg logins against the mock IdP alone (a bare oidc-provider) as the
// reference. A first version: no per-hop breakdown, no Redis/PostgreSQL counters yet.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as client from 'openid-client';
import { Browser } from '../test/support/browser.ts';
import { freePort } from '../test/support/net.ts';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const embedded = args.has('--embedded');
if (!embedded && (!process.env.DATABASE_URL || !process.env.REDIS_URL)) {
  process.stderr.write('bench: DATABASE_URL and REDIS_URL are required (or --embedded, reported as such)\n');
  process.exit(2);
}
const file = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const clockTicks = 100; // USER_HZ on Linux

async function cpuMs(pid: number): Promise<number> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return ((Number(stat[11]) + Number(stat[12])) * 1000) / clockTicks;
}

function start(script: string, env: Record<string, string | undefined>): ChildProcess {
  return spawn(process.execPath, [file(script)], {
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
}

async function until(url: string) {
  for (let i = 0; i < 150; i += 1) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} never answered`);
}

function form(html: string, page: URL, containing: string, fields: Record<string, string>) {
  for (const [whole, action = ''] of html.matchAll(/<form\b[^>]*\baction="([^"]*)"[^>]*>[\s\S]*?<\/form>/g)) {
    if (!whole.includes(containing)) continue;
    const body = new URLSearchParams(fields);
    for (const [input] of whole.matchAll(/<input\b[^>]*type="hidden"[^>]*>/g)) {
      const name = /\bname="([^"]*)"/.exec(input)?.[1];
      if (name) body.set(name, (/\bvalue="([^"]*)"/.exec(input)?.[1] ?? '').replaceAll('&amp;', '&'));
    }
    return { url: new URL(action.replaceAll('&amp;', '&'), page), body: body.toString() };
  }
  throw new Error(`no form with ${containing} on ${page.href}`);
}

type Step = { url: URL; html: string } | { callback: URL };

async function step(browser: Browser, url: URL, stop: (u: URL) => boolean, body?: string): Promise<Step> {
  const init = body
    ? { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }
    : {};
  const landing = await browser.navigate(url, stop, init);
  if (!landing.response) return { callback: landing.url };
  if (landing.response.status >= 400)
    throw new Error(`HTTP ${landing.response.status} at ${landing.url.pathname}`);
  return { url: landing.url, html: await landing.response.text() };
}

/** One complete login as a citizen and an SP: returns its duration in ms. */
async function brokeredLogin(config: client.Configuration, redirectUri: string): Promise<number> {
  const began = performance.now();
  const browser = new Browser();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid identite_pivot email',
    state,
    nonce,
    acr_values: 'eidas1',
    prompt: 'login consent',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const atSp = (u: URL) => u.href.startsWith(redirectUri);
  let at = await step(browser, url, atSp);
  for (const [containing, fields] of [
    ['name="idp"', { idp: 'mock-idp' }],
    ['name="identity"', { identity: 'standard' }],
    ['name="decision"', { decision: 'accept' }],
  ] as const) {
    if ('callback' in at) throw new Error('back at the SP too early');
    const next = form(at.html, at.url, containing, fields);
    at = await step(browser, next.url, atSp, next.body);
  }
  if (!('callback' in at)) throw new Error(`no code: ended on ${at.url.pathname}`);
  const tokens = await client.authorizationCodeGrant(config, at.callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
  });
  await client.fetchUserInfo(config, tokens.access_token, tokens.claims()?.sub as string);
  return performance.now() - began;
}

async function stage(
  name: string,
  concurrency: number,
  seconds: number,
  login: () => Promise<number>,
  pid: number,
) {
  const durations: number[] = [];
  let errors = 0;
  const cpuBefore = await cpuMs(pid);
  const began = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - began < seconds * 1000) {
        try {
          durations.push(await login());
        } catch {
          errors += 1;
        }
      }
    }),
  );
  const elapsed = (performance.now() - began) / 1000;
  const cpu = (await cpuMs(pid)) - cpuBefore;
  durations.sort((a, b) => a - b);
  const pct = (p: number) =>
    Math.round(durations[Math.min(durations.length - 1, Math.floor(p * durations.length))] ?? 0);
  return {
    name,
    concurrency,
    logins: durations.length,
    errors,
    loginsPerSecond: Number((durations.length / elapsed).toFixed(1)),
    cpuMsPerLogin: durations.length ? Number((cpu / durations.length).toFixed(2)) : null,
    latencyMs: { p50: pct(0.5), p95: pct(0.95), p99: pct(0.99) },
  };
}

const base = await freePort('127.0.0.1');
const ports = { hub: base, idp: await freePort('127.0.0.1') };
const issuer = `http://localhost:${ports.hub}`;
const idpIssuer = `http://localhost:${ports.idp}`;
const spRedirect = 'http://localhost:9/callback';
const idp = start('../src/mock-idp/main.ts', {
  MOCK_IDP_ISSUER: idpIssuer,
  MOCK_IDP_CLIENTS: JSON.stringify([
    {
      client_id: 'relais',
      client_secret: 'relais-demo-secret-at-least-32-characters!!',
      redirect_uris: [`${issuer}/idp/callback`, spRedirect],
    },
  ]),
});
const hub = start('../src/main.ts', {
  PORT: String(ports.hub),
  ISSUER: issuer,
  DEMO: 'true',
  DEMO_SERVICES: 'false',
  MOCK_IDP_URL: idpIssuer,
  DEMO_SP_URL: 'http://localhost:9',
  ...(embedded ? { DATABASE_URL: '', REDIS_URL: '', PGLITE_DIR: `/tmp/relais-bench-${process.pid}` } : {}),
});
try {
  await until(`${issuer}/readyz`);
  await until(`${idpIssuer}/.well-known/openid-configuration`);
  const insecure = { execute: [client.allowInsecureRequests] };
  const sp = await client.discovery(
    new URL(issuer),
    'demo-sp',
    { id_token_signed_response_alg: 'ES256', userinfo_signed_response_alg: 'ES256' },
    client.ClientSecretPost('demo-sp-secret-at-least-32-characters-long!'),
    insecure,
  );
  const seconds = quick ? 6 : 15;
  const levels = quick ? [1, 4] : [1, 2, 4, 8];
  const results = [];
  await brokeredLogin(sp, 'http://localhost:9/callback'); // warm-up
  for (const concurrency of levels) {
    results.push(
      await stage(
        'brokered',
        concurrency,
        seconds,
        () => brokeredLogin(sp, 'http://localhost:9/callback'),
        hub.pid as number,
      ),
    );
  }
  // The reference: a single leg against the mock IdP alone (same driver, same machine).
  const bare = await client.discovery(
    new URL(idpIssuer),
    'relais',
    {},
    client.ClientSecretBasic('relais-demo-secret-at-least-32-characters!!'),
    insecure,
  );
  const bareLeg = async () => {
    const began = performance.now();
    const browser = new Browser();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(bare, {
      redirect_uri: spRedirect,
      scope: 'openid given_name family_name birthdate gender birthplace birthcountry email',
      state,
      nonce,
      acr_values: 'eidas1',
    });
    let at = await step(browser, url, (u) => u.href.startsWith(spRedirect));
    if ('callback' in at) throw new Error('no login page');
    const next = form(at.html, at.url, 'name="identity"', { identity: 'standard' });
    at = await step(browser, next.url, (u) => u.href.startsWith(spRedirect), next.body);
    if (!('callback' in at)) throw new Error('no code');
    const tokens = await client.authorizationCodeGrant(bare, at.callback, {
      expectedState: state,
      expectedNonce: nonce,
    });
    await client.fetchUserInfo(bare, tokens.access_token, tokens.claims()?.sub as string);
    return performance.now() - began;
  };
  await bareLeg();
  const reference = await stage(
    'bare oidc-provider leg',
    levels.at(-1) ?? 1,
    seconds,
    bareLeg,
    idp.pid as number,
  );
  const best = results.filter((r) => r.errors === 0).sort((a, b) => b.loginsPerSecond - a.loginsPerSecond)[0];
  const report = {
    date: new Date().toISOString(),
    stores: embedded ? 'embedded (PGlite, in-process store)' : 'PostgreSQL and Redis',
    quick,
    results,
    reference,
    ratio:
      best?.cpuMsPerLogin && reference.cpuMsPerLogin
        ? Number((best.cpuMsPerLogin / reference.cpuMsPerLogin).toFixed(2))
        : null,
  };
  const rows = [...results, reference].map(
    (r) =>
      `| ${r.name} | ${r.concurrency} | ${r.logins} | ${r.errors} | ${r.loginsPerSecond} | ${r.cpuMsPerLogin} | ${r.latencyMs.p50} / ${r.latencyMs.p95} / ${r.latencyMs.p99} |`,
  );
  const table = [
    `Relais bench, ${report.date}, ${report.stores}${quick ? ' (quick)' : ''}`,
    '',
    '| run | concurrency | logins | errors | logins/s | CPU ms/login (server process) | latency ms p50/p95/p99 |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `hub CPU per brokered login / bare CPU per leg: ${report.ratio ?? 'n/a'}`,
  ].join('\n');
  const dir = file('./results/');
  await mkdir(dir, { recursive: true });
  const stamp = report.date.replaceAll(':', '-');
  await writeFile(`${dir}/bench-${stamp}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${dir}/bench-${stamp}.md`, `${table}\n`);
  process.stdout.write(`${table}\n`);
} finally {
  hub.kill('SIGTERM');
  idp.kill('SIGTERM');
}
