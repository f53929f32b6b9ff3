// Starts one mock IdP from the environment: `node src/mock-idp/main.ts`.
//   MOCK_IDP_ISSUER   default http://localhost:3001
//   MOCK_IDP_CLIENTS  JSON array of clients; default the demo hub (`relais`)
//   MOCK_IDP_ID_TOKEN_ALG, MOCK_IDP_USERINFO_ALG (HS256|RS256|ES256; userinfo unset = plain JSON)
//   MOCK_IDP_REDIS_URL  optional: sessions, codes and tokens in Redis (keys under `mock-idp:v1:`,
//                       through the hub's own adapter) instead of in memory, as npm run bench's
//                       reference leg uses it, so that it pays for its store as the hub does
import { z } from 'zod';
import { createRedisKv } from '../store/kv-redis.ts';
import { createOidcAdapter } from '../store/oidc-adapter.ts';
import { createMockIdp } from './index.ts';

const DEFAULT_CLIENTS = [
  {
    client_id: 'relais',
    client_secret: 'relais-demo-secret-at-least-32-characters!!',
    client_name: 'Relais (démo)',
    redirect_uris: ['http://localhost:3000/idp/callback'],
    post_logout_redirect_uris: ['http://localhost:3000/idp/logout-callback'],
  },
];

const alg = z.enum(['HS256', 'RS256', 'ES256']);
const clients = z
  .array(
    z.object({
      client_id: z.string().min(1),
      client_secret: z.string().min(1),
      client_name: z.string().optional(),
      redirect_uris: z.array(z.url()).min(1),
      post_logout_redirect_uris: z.array(z.url()).optional(),
      token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post']).optional(),
    }),
  )
  .min(1);

function fail(variable: string, reason: string): never {
  console.error(`mock IdP: ${variable} ${reason}`);
  process.exit(1);
}

function parseClients(raw: string | undefined): z.infer<typeof clients> {
  if (raw === undefined || raw === '') return DEFAULT_CLIENTS;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    fail('MOCK_IDP_CLIENTS', 'is not valid JSON');
  }
  const parsed = clients.safeParse(json);
  if (!parsed.success)
    fail('MOCK_IDP_CLIENTS', `is invalid: ${parsed.error.issues[0]?.message ?? 'bad value'}`);
  return parsed.data;
}

function parseAlg(variable: string): z.infer<typeof alg> | undefined {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return undefined;
  const parsed = alg.safeParse(raw);
  return parsed.success ? parsed.data : fail(variable, 'must be HS256, RS256 or ES256');
}

const issuer = process.env['MOCK_IDP_ISSUER'] || 'http://localhost:3001';
const redisUrl = process.env['MOCK_IDP_REDIS_URL'] || undefined;
const kv = redisUrl
  ? await createRedisKv(redisUrl, 'mock-idp:v1:').catch((error: unknown) =>
      fail('MOCK_IDP_REDIS_URL', `is unusable: ${error instanceof Error ? error.message : String(error)}`),
    )
  : undefined;
const idp = await createMockIdp({
  issuer,
  clients: parseClients(process.env['MOCK_IDP_CLIENTS']),
  idTokenAlg: parseAlg('MOCK_IDP_ID_TOKEN_ALG'),
  userinfoAlg: parseAlg('MOCK_IDP_USERINFO_ALG') ?? null,
  // Its clients are static: oidc-provider finds them in its configuration, never in the adapter.
  ...(kv ? { adapter: createOidcAdapter(kv, { find: async () => undefined }) } : {}),
}).catch((error: unknown) => fail('MOCK_IDP_ISSUER', error instanceof Error ? error.message : 'is invalid'));
// MOCK_IDP_HOST: where to listen when it is not the issuer's host (0.0.0.0 in a container).
await idp.listen(process.env['MOCK_IDP_HOST'] || undefined);
console.log(`mock IdP listening at ${idp.issuer}${kv ? ' (store: Redis)' : ''}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void idp
      .close()
      .then(() => kv?.close())
      .then(() => process.exit(0));
  });
}
