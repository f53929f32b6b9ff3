// Environment → one frozen, typed configuration. A bad value stops the start with one line
// naming the variable (the caller prints it and exits).
import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const envSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  // Every hub URL is {ISSUER}/…: an issuer with a path would need the hub mounted under it.
  ISSUER: z
    .url({ protocol: /^https?$/ })
    .refine((v) => new URL(v).pathname === '/' && !new URL(v).search, 'must be an origin, without a path')
    .optional(),
  DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  // redis://, rediss://, or redis+sentinel://host1:26379,host2:26379/<master name> (Sentinel).
  REDIS_URL: optionalString.pipe(
    z.url({ protocol: /^(rediss?|redis\+sentinel|redis\+cluster)$/ }).optional(),
  ),
  FEDERATION_FILE: optionalString,
  // One hub instance serves one federation: citizens (FranceConnect) or professionals (ProConnect).
  PROFILE: z.enum(['franceconnect', 'proconnect']).default('franceconnect'),
  SUB_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  ENCRYPTION_KEY: optionalString.pipe(
    z
      .string()
      .refine((v) => decodeKey(v)?.length === 32, 'must be 32 bytes, as 64 hex characters or base64')
      .optional(),
  ),
  COOKIE_KEYS: optionalString.pipe(
    z
      .string()
      .refine(
        (v) => v.split(',').every((k) => k.trim().length >= 32),
        'comma-separated keys of ≥ 32 characters',
      )
      .optional(),
  ),
  // Default: .relais/pglite, or .relais/pglite-proconnect (the two demos keep apart registries).
  PGLITE_DIR: optionalString,
  ALLOW_INSECURE_HTTP: flag.default(false),
  IDP_TIMEOUT_MS: z.coerce.number().int().min(500).max(60_000).default(5000),
  SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(1800),
  // How long an access token is valid (at /userinfo, at the data providers).
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(10).max(3600).default(60),
  SESSION_MAX_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(8 * 3600),
  VIEWS_DIR: optionalString,
  ASSETS_DIR: optionalString,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  METRICS_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  // Outside demo mode /metrics needs METRICS_TOKEN, unless opened on purpose (a private network).
  METRICS_PUBLIC: flag.default(false),
  // FranceConnect+: from this level on, an SP must have its id_token and userinfo encrypted to it.
  ENCRYPTION_REQUIRED_FROM: z
    .enum(['eidas2', 'eidas3', ''])
    .optional()
    .transform((v) => (v ? v : undefined)),
  // Bytes an IdP answer (discovery, JWKS, token, userinfo) may hold; past it the login at that IdP fails.
  IDP_RESPONSE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(4096)
    .max(16 * 1024 * 1024)
    .default(256 * 1024),
  // Abuse limits (docs: README "Limits"): requests per window, per client address on the citizen's
  // routes, per client_id on the SPs' and data providers' back channel.
  RATE_LIMITS: z.enum(['on', 'off']).default('on'),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  RATE_LIMIT_PER_ADDRESS: z.coerce.number().int().min(10).max(1_000_000).default(300),
  RATE_LIMIT_PER_CLIENT: z.coerce.number().int().min(10).max(10_000_000).default(5000),
  // Comma-separated CIDRs: the proxies whose X-Forwarded-For is believed, the addresses never limited.
  TRUST_PROXY: optionalString.pipe(
    z.string().refine(cidrList, 'comma-separated addresses or CIDRs').optional(),
  ),
  RATE_LIMIT_EXEMPT: optionalString.pipe(
    z.string().refine(cidrList, 'comma-separated addresses or CIDRs').optional(),
  ),
  // The in-process store (no REDIS_URL) refuses new logins past this many MiB: a 503, never a crash.
  MEMORY_STORE_BUDGET_MB: z.coerce.number().int().min(1).max(65_536).default(256),
  // Slow or idle clients are cut: the whole request, its headers, an idle keep-alive connection.
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(10_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(72_000),
  EVENTS_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  DEMO: flag.optional(),
  // Demo mode runs the mock IdP and the demo SP in the hub's process, unless they run apart (npm run stack).
  DEMO_SERVICES: flag.default(true),
  // Where the demo's mock IdP and demo SP are reached, when not http://localhost:<port> (compose).
  MOCK_IDP_URL: z.url({ protocol: /^https?$/ }).optional(),
  DEMO_SP_URL: z.url({ protocol: /^https?$/ }).optional(),
  MOCK_IDP_PORT: port.optional(),
  DEMO_SP_PORT: port.optional(),
  // ProConnect's demo: its fallback IdP (default: the port after the demo SP's).
  FALLBACK_IDP_PORT: port.optional(),
});

/** An address or a CIDR per item (IPv4 or IPv6): the syntax only; src/http/addresses.ts reads them. */
function cidrList(value: string): boolean {
  return value
    .split(',')
    .map((item) => item.trim())
    .every((item) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(item));
}

export interface RateLimitConfig {
  enabled: boolean;
  windowSeconds: number;
  perAddress: number;
  perClient: number;
  trustProxy: string[];
  exempt: string[];
}

export interface HttpTimeouts {
  requestMs: number;
  headersMs: number;
  keepAliveMs: number;
}

export interface Secrets {
  /** Key of the HMAC that derives each SP's `sub`: changing it changes every sub. */
  subSecret: string;
  /** AES-256-GCM key for what the hub keeps about a citizen in Redis. */
  encryptionKey: Buffer;
  /** Keys signing the hub's cookies (first signs, all verify). */
  cookieKeys: string[];
}

export type ProfileName = 'franceconnect' | 'proconnect';

export interface Config {
  /** The federation this instance serves (src/profile.ts). */
  profile: ProfileName;
  port: number;
  host: string;
  issuer: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  federationFile: string | undefined;
  /** Secrets given by the environment; missing ones are generated and kept only in demo mode. */
  secrets: Partial<Secrets>;
  pgliteDir: string;
  allowInsecureHttp: boolean;
  idpTimeoutMs: number;
  /** Hub session: idle timeout, and absolute lifetime. */
  sessionTtlSeconds: number;
  /** Seconds an access token lives. */
  accessTokenTtlSeconds: number;
  sessionMaxSeconds: number;
  logLevel: string;
  /** A deployer's own templates and message catalogues, and static assets. */
  viewsDir: string | undefined;
  assetsDir: string | undefined;
  /** Bearer token a Prometheus scraper sends to /metrics. */
  metricsToken: string | undefined;
  /** /metrics without a token: demo mode, or METRICS_PUBLIC=true. */
  metricsPublic: boolean;
  /** Cap on an IdP's answer. */
  idpResponseMaxBytes: number;
  /** From this level on, an SP must receive its id_token and userinfo encrypted. */
  encryptionRequiredFrom: 'eidas2' | 'eidas3' | undefined;
  rateLimits: RateLimitConfig;
  /** Budget of the in-process store, in bytes. */
  memoryStoreBudgetBytes: number;
  httpTimeouts: HttpTimeouts;
  /** Business events older than this are deleted. */
  eventsRetentionDays: number;
  /** Starts the bundled mock IdP and demo SP beside the hub. */
  demo:
    | {
        mockIdpPort: number;
        demoSpPort: number;
        mockIdpUrl: string;
        demoSpUrl: string;
        /** ProConnect's demo: its fallback IdP, on the port after the demo SP's. */
        fallbackIdpPort: number;
        fallbackIdpUrl: string;
        inProcess: boolean;
      }
    | undefined;
}

export class ConfigError extends Error {}

export function decodeKey(value: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  const buffer = Buffer.from(value, 'base64');
  return buffer.length > 0 ? buffer : undefined;
}

const list = (value: string | undefined) =>
  value
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    : [];

export function loadConfig(env: Record<string, string | undefined>): Readonly<Config> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`invalid environment: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const e = parsed.data;
  const issuer = (e.ISSUER ?? `http://localhost:${e.PORT}`).replace(/\/$/, '');
  // Demo mode is explicit with a real database: a forgotten FEDERATION_FILE must not upsert the
  // demo SP and the mock IdP into a production registry.
  const demo = e.DEMO ?? (e.FEDERATION_FILE === undefined && e.DATABASE_URL === undefined);
  const secrets: Partial<Secrets> = {
    subSecret: e.SUB_SECRET,
    encryptionKey: e.ENCRYPTION_KEY ? decodeKey(e.ENCRYPTION_KEY) : undefined,
    cookieKeys: e.COOKIE_KEYS?.split(',').map((k) => k.trim()),
  };
  if (e.DATABASE_URL && !demo) {
    const missing = (['SUB_SECRET', 'ENCRYPTION_KEY', 'COOKIE_KEYS'] as const).filter((name) => !e[name]);
    if (missing.length) {
      throw new ConfigError(
        `invalid environment: ${missing.join(', ')} required with DATABASE_URL outside demo mode`,
      );
    }
  }
  return Object.freeze({
    profile: e.PROFILE,
    port: e.PORT,
    host: e.HOST,
    issuer,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    federationFile: e.FEDERATION_FILE,
    secrets,
    pgliteDir: e.PGLITE_DIR ?? (e.PROFILE === 'proconnect' ? '.relais/pglite-proconnect' : '.relais/pglite'),
    allowInsecureHttp: e.ALLOW_INSECURE_HTTP,
    idpTimeoutMs: e.IDP_TIMEOUT_MS,
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    sessionMaxSeconds: Math.max(e.SESSION_MAX_SECONDS, e.SESSION_TTL_SECONDS),
    logLevel: e.LOG_LEVEL,
    viewsDir: e.VIEWS_DIR,
    assetsDir: e.ASSETS_DIR,
    metricsToken: e.METRICS_TOKEN,
    metricsPublic: e.METRICS_PUBLIC || demo,
    idpResponseMaxBytes: e.IDP_RESPONSE_MAX_BYTES,
    encryptionRequiredFrom: e.ENCRYPTION_REQUIRED_FROM,
    rateLimits: {
      enabled: e.RATE_LIMITS === 'on',
      windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
      perAddress: e.RATE_LIMIT_PER_ADDRESS,
      perClient: e.RATE_LIMIT_PER_CLIENT,
      trustProxy: list(e.TRUST_PROXY),
      exempt: list(e.RATE_LIMIT_EXEMPT),
    },
    memoryStoreBudgetBytes: e.MEMORY_STORE_BUDGET_MB * 1024 * 1024,
    httpTimeouts: {
      requestMs: e.HTTP_REQUEST_TIMEOUT_MS,
      headersMs: e.HTTP_HEADERS_TIMEOUT_MS,
      keepAliveMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
    eventsRetentionDays: e.EVENTS_RETENTION_DAYS,
    demo: demo
      ? {
          mockIdpPort: e.MOCK_IDP_PORT ?? e.PORT + 1,
          demoSpPort: e.DEMO_SP_PORT ?? e.PORT + 2,
          mockIdpUrl: (e.MOCK_IDP_URL ?? `http://localhost:${e.MOCK_IDP_PORT ?? e.PORT + 1}`).replace(
            /\/$/,
            '',
          ),
          demoSpUrl: (e.DEMO_SP_URL ?? `http://localhost:${e.DEMO_SP_PORT ?? e.PORT + 2}`).replace(/\/$/, ''),
          fallbackIdpPort: e.FALLBACK_IDP_PORT ?? (e.DEMO_SP_PORT ?? e.PORT + 2) + 1,
          fallbackIdpUrl: `http://localhost:${e.FALLBACK_IDP_PORT ?? (e.DEMO_SP_PORT ?? e.PORT + 2) + 1}`,
          inProcess: e.DEMO_SERVICES,
        }
      : undefined,
  });
}
