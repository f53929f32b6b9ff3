// npm run stack: the docker-compose topology as local processes, against the local PostgreSQL and
// Redis: two hub instances behind a round-robin proxy at the issuer, the mock IdP and the demo SP.
// A developer's tool, beside src/ rather than in it (it touches `process`, like src/main.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type RoundRobin, startRoundRobin } from './round-robin.ts';

const base = Number(process.env.STACK_PORT ?? 3000);
const { DATABASE_URL, REDIS_URL } = process.env;
if (!DATABASE_URL || !REDIS_URL) {
  process.stderr.write('stack: DATABASE_URL and REDIS_URL are required (the instances share them)\n');
  process.exit(2);
}

const issuer = `http://localhost:${base}`;
const hubPorts = [base + 10, base + 11];
const file = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const children: ChildProcess[] = [];

function start(name: string, script: string, env: Record<string, string>) {
  // As `npm start` runs the hub (see package.json): AsyncLocalStorage without promise hooks.
  const child = spawn(process.execPath, ['--experimental-async-context-frame', file(script)], {
    env: { ...process.env, ...env },
    stdio: 'inherit',
  });
  child.on('exit', (code) => {
    if (!stopping) process.stderr.write(`stack: ${name} exited (${code}); stopping\n`);
    void stop();
  });
  children.push(child);
}

start('mock IdP', '../src/mock-idp/main.ts', {
  MOCK_IDP_ISSUER: `http://localhost:${base + 1}`,
  MOCK_IDP_CLIENTS: JSON.stringify([
    {
      client_id: 'relais',
      client_secret: 'relais-demo-secret-at-least-32-characters!!',
      client_name: 'Relais',
      redirect_uris: [`${issuer}/idp/callback`],
      post_logout_redirect_uris: [`${issuer}/idp/logout-callback`],
    },
  ]),
});
start('demo SP', '../src/demo-sp/main.ts', {
  DEMO_SP_URL: `http://localhost:${base + 2}`,
  DEMO_SP_ISSUER: issuer,
});
for (const port of hubPorts) {
  start(`hub :${port}`, '../src/main.ts', {
    PORT: String(port),
    ISSUER: issuer,
    DEMO: 'true',
    DEMO_SERVICES: 'false',
    MOCK_IDP_PORT: String(base + 1),
    DEMO_SP_PORT: String(base + 2),
  });
}

// Assigned once listening: a child may exit (and stop all) before that.
let proxy: RoundRobin | undefined;
proxy = await startRoundRobin('127.0.0.1', base, hubPorts);
process.stdout.write(
  `\nstack: open http://localhost:${base + 2} (hubs ${hubPorts.join(', ')} behind ${issuer})\n\n`,
);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await proxy?.close();
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
