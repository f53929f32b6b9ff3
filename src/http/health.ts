// Liveness (/healthz: the process answers), readiness (/readyz: the stores answer and the registry
// is loaded, so a load balancer sends logins here) and the Prometheus scrape (/metrics).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../observability/metrics.ts';

/** A check resolves when its dependency is usable; any rejection (or timeout) makes the hub unready. */
export type ReadinessChecks = Record<string, () => Promise<unknown>>;

export interface HealthDependencies {
  checks: ReadinessChecks;
  metrics: Metrics;
  /** Bearer token the scraper must send. */
  metricsToken?: string | undefined;
  /** Without a token: true = /metrics is open (demo, METRICS_PUBLIC=true), false = always 401. */
  metricsPublic?: boolean | undefined;
  /** Per check; default 2000 ms. */
  checkTimeoutMs?: number;
}

export type CheckResult = 'ok' | 'failed' | 'timeout';

export async function runChecks(
  checks: ReadinessChecks,
  timeoutMs = 2000,
): Promise<Record<string, CheckResult>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, CheckResult]> => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<CheckResult>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const run = Promise.resolve()
        .then(check)
        .then(
          (): CheckResult => 'ok',
          (): CheckResult => 'failed',
        );
      try {
        return [name, await Promise.race([run, timeout])];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}

const digest = (value: string) => createHash('sha256').update(value).digest();

export function healthRoutes(app: FastifyInstance, deps: HealthDependencies): void {
  // Once closing, a keep-alive connection must not outlive its request in flight: without
  // `Connection: close` a client holds the shutdown up to the keep-alive timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    if (closing) return reply.status(503).send({ status: 'closing', checks: {} });
    const checks = await runChecks(deps.checks, deps.checkTimeoutMs);
    const failed = Object.entries(checks).filter(([, result]) => result !== 'ok');
    if (failed.length === 0) return { status: 'ready', checks };
    request.log.warn({ checks }, 'not ready');
    return reply.status(503).send({ status: 'unready', checks });
  });

  const expected = deps.metricsToken ? digest(`Bearer ${deps.metricsToken}`) : undefined;
  const open = !expected && deps.metricsPublic !== false;
  app.get('/metrics', async (request, reply) => {
    // Compared as digests: constant time whatever the length sent.
    if (!open && !(expected && timingSafeEqual(digest(request.headers.authorization ?? ''), expected))) {
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer')
        .send({
          error: 'unauthorized',
          ...(expected
            ? {}
            : { error_description: 'set METRICS_TOKEN, or METRICS_PUBLIC=true on a private network' }),
        });
    }
    return reply.type(deps.metrics.contentType).send(await deps.metrics.text());
  });
}
