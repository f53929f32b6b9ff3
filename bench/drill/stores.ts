// The drill's own Redis and PostgreSQL servers, from the machine's binaries, on spare loopback
// ports, in a temporary directory: stopping them disturbs nobody else's. PostgreSQL refuses to run
// as root, so initdb and pg_ctl run as the `postgres` user (runuser) in a directory it owns.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';

const run = promisify(execFile);

export interface OwnRedis {
  url: string;
  port: number;
  /** A crash: SIGKILL (nothing is kept: no RDB, no AOF). */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Last resort, synchronous (process exit). */
  killNow(): void;
}

async function untilAnswers(what: string, check: () => Promise<unknown>, ms = 20_000): Promise<void> {
  const until = performance.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (performance.now() > until) throw new Error(`${what} did not answer: ${(error as Error).message}`);
      await sleep(100);
    }
  }
}

export async function redisPing(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } finally {
    redis.disconnect();
  }
}

export function ownRedis(port: number, logPath: string, dir: string): OwnRedis {
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const log = createWriteStream(logPath, { flags: 'a' });
  const exited = () => !child || child.exitCode !== null || child.signalCode !== null;
  const halt = async (signal: NodeJS.Signals) => {
    const running = child;
    if (!running || exited()) return;
    const gone = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await gone;
  };
  return {
    url,
    port,
    async start() {
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout?.pipe(log, { end: false });
      child.stderr?.pipe(log, { end: false });
      await untilAnswers(`redis-server on ${port}`, () => redisPing(url));
    },
    kill: () => halt('SIGKILL'),
    stop: () => halt('SIGTERM'),
    killNow() {
      if (!exited()) child?.kill('SIGKILL');
    },
  };
}

export interface OwnPostgres {
  url: string;
  port: number;
  /** pg_ctl stop -m immediate: no shutdown checkpoint, as a crash; the restart replays the WAL. */
  crash(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Last resort, synchronous (process exit): SIGQUIT to the postmaster. */
  killNow(): void;
}

/** The newest PostgreSQL on the machine (Debian's layout). */
function postgresBin(): string {
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error('no PostgreSQL under /usr/lib/postgresql');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

/** A fresh cluster in `dir` (made for the `postgres` user), superuser `relais`, trust on loopback. */
export async function ownPostgres(port: number, dir: string): Promise<OwnPostgres> {
  const bin = postgresBin();
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  // initdb and pg_ctl refuse root: as root they run as `postgres`, otherwise as whoever runs the drill.
  const asPostgres = (command: string, args: string[]) =>
    process.getuid?.() === 0
      ? run('runuser', ['-u', 'postgres', '--', `${bin}/${command}`, ...args], { cwd: dir })
      : run(`${bin}/${command}`, args, { cwd: dir });
  await asPostgres('initdb', ['-D', data, '-U', 'relais', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const url = `postgres://relais@127.0.0.1:${port}/postgres`;
  const ready = () =>
    untilAnswers(`postgres on ${port}`, async () => {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
      await client.connect();
      await client.end();
    });
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=60`;
  return {
    url,
    port,
    async start() {
      await asPostgres('pg_ctl', ['-D', data, '-l', logFile, '-o', options, '-w', 'start']);
      await ready();
    },
    async crash() {
      await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    async stop() {
      await asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
    },
    killNow() {
      try {
        const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
        if (pid > 0) process.kill(pid, 'SIGQUIT');
      } catch {
        // Not running.
      }
    },
  };
}

/** A temporary directory the `postgres` user owns (it holds the cluster and the Redis dir too). */
export async function scratchDirectory(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'relais-drill-'));
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: group } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(group.trim()));
  }
  await mkdir(join(dir, 'redis'));
  return dir;
}

export async function removeScratch(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
