// The public register of habilitations (GET /habilitations): which SP may ask which scopes, and
// until when. HTML in the citizen's language, or JSON when the caller prefers it. Never a secret.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerOf } from '../config/habilitations.ts';
import type { Registry } from '../store/registry-cache.ts';
import type { PageContext } from './page-context.ts';
import { habilitationsModel } from './view-models.ts';

const REGISTER_PATH = '/habilitations';

export interface HabilitationsDependencies {
  registry: Registry;
  context(request: FastifyRequest, reply: FastifyReply): PageContext;
  /** The clock habilitations are judged by; tests inject theirs. */
  now?: () => Date;
}

export function habilitationsRoutes(app: FastifyInstance, deps: HabilitationsDependencies): void {
  app.get(REGISTER_PATH, async (request, reply) => {
    const register = registerOf(deps.registry.serviceProviders(), deps.now?.() ?? new Date());
    reply.header('vary', 'Accept');
    if (prefersJson(request.headers.accept)) return reply.send({ serviceProviders: register });
    return reply.view('habilitations.njk', habilitationsModel(deps.context(request, reply), register));
  });
}

/** JSON only when Accept ranks application/json above text/html: browsers, a wildcard or none get HTML. */
export function prefersJson(accept: string | undefined): boolean {
  const ranges = (accept ?? '')
    .split(',')
    .slice(0, 32)
    .map((part) => {
      const [range = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      const q = params.find((p) => p.startsWith('q='))?.slice(2);
      return { range, q: q === undefined ? 1 : Number(q) || 0 };
    });
  // The most specific range that matches a type gives its quality (RFC 9110 §12.5.1).
  const quality = (type: string) => {
    const [major] = type.split('/');
    const match = [type, `${major}/*`, '*/*'].map((r) => ranges.find((x) => x.range === r)).find(Boolean);
    return match?.q ?? 0;
  };
  return quality('application/json') > quality('text/html');
}
