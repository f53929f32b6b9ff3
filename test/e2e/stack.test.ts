// npm run stack: separate processes (two hubs behind a round-robin proxy, the mock IdP, the demo
// SP) on the real PostgreSQL and Redis; a citizen logs in to the demo SP through them.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Citizen } from '../support/citizen.ts';

const shared = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
const base = 21_000 + Math.floor(Math.random() * 400) * 20;
let stack: ChildProcess | undefined;

async function until(url: string, timeoutMs: number) {
  const started = Date.now();
  for (;;) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() - started > timeoutMs) throw new Error(`${url} never answered`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  if (!shared) return;
  stack = spawn(process.execPath, [fileURLToPath(new URL('../../tools/stack.ts', import.meta.url))], {
    env: { ...process.env, STACK_PORT: String(base), LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  await until(`http://localhost:${base + 10}/readyz`, 20_000);
  await until(`http://localhost:${base + 11}/readyz`, 20_000);
  await until(`http://localhost:${base}/readyz`, 5_000);
}, 30_000);

afterAll(async () => {
  if (!stack || stack.exitCode !== null) return;
  const exited = new Promise((resolve) => stack?.once('exit', resolve));
  stack.kill('SIGTERM');
  await exited;
});

it.runIf(shared)(
  'runs the demo login across separate processes and two hub instances',
  async () => {
    const citizen = new Citizen({ redirectUri: 'never://' });
    await citizen.go(`http://localhost:${base + 2}/login`);
    await citizen.chooseIdp('mock-idp');
    await citizen.loginAs('standard');
    await citizen.consent('accept');
    const home = citizen.currentPage();
    expect(home.url.origin).toBe(`http://localhost:${base + 2}`);
    expect(home.html).toContain('Camille');
  },
  30_000,
);
