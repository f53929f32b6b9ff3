// The drill's Node processes (the hub instances, the mock IdP), each its own child so that a
// SIGKILL is a real one; their output goes to a log file per process, kept as evidence.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export interface Child {
  name: string;
  readonly pid: number;
  /** Started (again) with the same script and environment. */
  start(): Promise<void>;
  /** Resolves once `url` answers 200 (readiness). */
  ready(timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
  running(): boolean;
  /** Exits the drill did not ask for (a crash), with when (drill clock) and how. */
  readonly crashes: ReadonlyArray<{ at: number; how: string }>;
  /** Last resort, synchronous (process exit). */
  killNow(): void;
}

// As `npm start` runs the hub: oidc-provider relies on AsyncLocalStorage on async context frames.
const NODE_ARGS = ['--experimental-async-context-frame'];

export function nodeChild(
  name: string,
  script: string,
  env: Record<string, string>,
  readyUrl: string,
  logPath: string,
  now: () => number,
): Child {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const log = createWriteStream(logPath, { flags: 'a' });
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  /** Set when the drill stops or kills it: any other exit is a crash. */
  let asked = false;
  const crashes: Array<{ at: number; how: string }> = [];
  const running = () => !!child && child.exitCode === null && child.signalCode === null;
  const self: Child = {
    name,
    get pid() {
      return child?.pid ?? 0;
    },
    async start() {
      if (running()) throw new Error(`${name} is already running`);
      asked = false;
      log.write(`\n--- ${new Date().toISOString()} start\n`);
      const started = spawn(process.execPath, [...NODE_ARGS, path], {
        env: { ...process.env, LOG_LEVEL: 'warn', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      started.stdout?.pipe(log, { end: false });
      started.stderr?.pipe(log, { end: false });
      exited = new Promise((resolve) =>
        started.once('exit', (code, signal) => {
          log.write(`--- ${new Date().toISOString()} exited (${signal ?? code})\n`);
          if (!asked) crashes.push({ at: now(), how: signal ? `killed by ${signal}` : `exit code ${code}` });
          resolve(undefined);
        }),
      );
    },
    async ready(timeoutMs = 30_000) {
      const until = performance.now() + timeoutMs;
      while (performance.now() < until) {
        if (!running()) throw new Error(`${name} exited while starting (see ${logPath})`);
        const ok = await fetch(readyUrl, { signal: AbortSignal.timeout(2000) }).then(
          (response) => response.ok,
          () => false,
        );
        if (ok) return;
        await sleep(100);
      }
      throw new Error(`${name}: ${readyUrl} never answered 200`);
    },
    async kill(signal) {
      if (!running()) return;
      asked = true;
      child?.kill(signal);
      await exited;
    },
    async stop() {
      if (!running()) return;
      asked = true;
      child?.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => 'exited'), sleep(8000, 'timeout', { ref: false })]);
      if (done === 'timeout') await self.kill('SIGKILL');
    },
    running,
    crashes,
    killNow() {
      asked = true;
      if (running()) child?.kill('SIGKILL');
    },
  };
  return self;
}
