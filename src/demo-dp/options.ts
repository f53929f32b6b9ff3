// DemoDpOptions → one frozen, checked settings object, built once when the demo data provider is created.
import { z } from 'zod';

export interface DemoDpOptions {
  /** Where the API listens, e.g. http://localhost:3004 (an origin: host and port are taken from it). */
  url: string;
  /** The hub's issuer; discovered at {issuer}/.well-known/openid-configuration. */
  issuer: string;
  /** Its client_id and client_secret as a data provider of the federation (client_secret_post). */
  clientId: string;
  clientSecret: string;
  /** Address to listen on when it is not the URL's host (e.g. 0.0.0.0 in a container). */
  host?: string;
  /** Request logging (paths only: the Authorization header is never logged). Default false. */
  logger?: boolean;
}

export interface DemoDpSettings {
  /** The API's origin, without a trailing slash. */
  readonly baseUrl: string;
  readonly listenHost: string;
  readonly listenPort: number;
  readonly issuer: URL;
  /** http toward the hub is allowed only when the issuer is on loopback (tests, the demo). */
  readonly allowHttpIssuer: boolean;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly logger: boolean;
}

const optionsSchema = z.object({
  url: z.url({ protocol: /^https?$/ }),
  issuer: z.url({ protocol: /^https?$/ }),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  host: z.string().min(1).optional(),
  logger: z.boolean().default(false),
});

/** localhost and its subdomains (RFC 6761), 127.0.0.0/8 and ::1: where plain http is acceptable. */
function isLoopback(url: URL): boolean {
  return (
    url.hostname === 'localhost' ||
    url.hostname.endsWith('.localhost') ||
    url.hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname)
  );
}

export function parseOptions(options: DemoDpOptions): DemoDpSettings {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`demo-dp: invalid option ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const o = parsed.data;
  const url = new URL(o.url);
  const issuer = new URL(o.issuer);
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new Error('demo-dp: url must be an origin (no path, query or fragment)');
  }
  // Bearer tokens and the data provider's secret travel on these: https, or a loopback address.
  for (const [name, value] of [['url', url] as const, ['issuer', issuer] as const]) {
    if (value.protocol === 'http:' && !isLoopback(value)) {
      throw new Error(`demo-dp: ${name} must be https (http is accepted on loopback only)`);
    }
  }
  return Object.freeze({
    baseUrl: url.origin,
    listenHost: o.host ?? url.hostname.replace(/^\[(.*)\]$/, '$1'),
    listenPort: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
    issuer,
    allowHttpIssuer: issuer.protocol === 'http:',
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    logger: o.logger,
  });
}
