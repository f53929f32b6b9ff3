// DemoSpOptions → one frozen, checked settings object, built once when the demo SP is created.
import { z } from 'zod';

export interface DemoSpOptions {
  /** Where the demo SP listens, e.g. http://localhost:3002 (an origin: host and port are taken from it). */
  url: string;
  /** The hub's issuer; discovered at {issuer}/.well-known/openid-configuration. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Default 'openid identite_pivot email'. */
  scope?: string;
  /** Default 'eidas1', the only level FranceConnect v2 delivers. */
  acrValues?: string;
  /** Default 'login consent' (FranceConnect v2's); '' sends none (ProConnect: prompt is optional). */
  prompt?: string;
  /** Default client_secret_post. */
  tokenEndpointAuthMethod?: 'client_secret_post' | 'client_secret_basic';
  /** Algorithm expected for both the id_token and the userinfo JWT. Default ES256 (FC v2 recommends it). */
  alg?: 'ES256' | 'RS256';
  /** Default 'demosp_session'; must differ from the hub's and the mock IdP's cookies (same host in the demo). */
  cookieName?: string;
  /** Address to listen on when it is not the URL's host (e.g. 0.0.0.0 in a container). */
  host?: string;
  /**
   * A data provider's API (the demo's quotient familial), called with the access token right after
   * a login: `GET {dataProviderUrl}/v1/quotient-familial`. Unset, none is called.
   */
  dataProviderUrl?: string;
  /** Request logging (query strings are never logged). Default false. */
  logger?: boolean;
}

export interface DemoSpSettings {
  /** The SP's origin, without a trailing slash. */
  readonly baseUrl: string;
  readonly listenHost: string;
  readonly listenPort: number;
  readonly redirectUri: string;
  readonly postLogoutRedirectUri: string;
  readonly issuer: URL;
  /** http toward the hub is allowed only when the issuer is on loopback (tests, the demo). */
  readonly allowHttpIssuer: boolean;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope: string;
  readonly acrValues: string;
  readonly prompt: string;
  readonly tokenEndpointAuthMethod: 'client_secret_post' | 'client_secret_basic';
  readonly alg: 'ES256' | 'RS256';
  readonly cookieName: string;
  readonly cookieSecure: boolean;
  /** The data provider's resource, `{dataProviderUrl}/v1/quotient-familial`; undefined when none. */
  readonly dataProviderResource: URL | undefined;
  readonly logger: boolean;
}

const optionsSchema = z.object({
  url: z.url({ protocol: /^https?$/ }),
  issuer: z.url({ protocol: /^https?$/ }),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  scope: z
    .string()
    .refine((s) => s.split(' ').includes('openid'), 'must contain openid')
    .default('openid identite_pivot email'),
  acrValues: z.string().min(1).default('eidas1'),
  prompt: z.string().default('login consent'),
  tokenEndpointAuthMethod: z
    .enum(['client_secret_post', 'client_secret_basic'])
    .default('client_secret_post'),
  alg: z.enum(['ES256', 'RS256']).default('ES256'),
  cookieName: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('demosp_session'),
  host: z.string().min(1).optional(),
  dataProviderUrl: z.url({ protocol: /^https?$/ }).optional(),
  logger: z.boolean().default(false),
});

/** localhost and its subdomains (RFC 6761), 127.0.0.0/8 and ::1: where plain http is acceptable. */
export function isLoopback(url: URL): boolean {
  return (
    url.hostname === 'localhost' ||
    url.hostname.endsWith('.localhost') ||
    url.hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname)
  );
}

export function parseOptions(options: DemoSpOptions): DemoSpSettings {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`demo-sp: invalid option ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const o = parsed.data;
  const url = new URL(o.url);
  const issuer = new URL(o.issuer);
  const dataProvider = o.dataProviderUrl === undefined ? undefined : new URL(o.dataProviderUrl);
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new Error('demo-sp: url must be an origin (no path, query or fragment)');
  }
  // The access token travels to the data provider: the same rule as toward the hub.
  const targets: Array<readonly [string, URL]> = [
    ['url', url],
    ['issuer', issuer],
  ];
  if (dataProvider) targets.push(['dataProviderUrl', dataProvider]);
  for (const [name, value] of targets) {
    if (value.protocol === 'http:' && !isLoopback(value)) {
      throw new Error(`demo-sp: ${name} must be https (http is accepted on loopback only)`);
    }
  }
  const baseUrl = url.origin;
  return Object.freeze({
    baseUrl,
    listenHost: o.host ?? url.hostname.replace(/^\[(.*)\]$/, '$1'),
    listenPort: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
    redirectUri: `${baseUrl}/callback`,
    postLogoutRedirectUri: `${baseUrl}/`,
    issuer,
    allowHttpIssuer: issuer.protocol === 'http:',
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    scope: o.scope,
    acrValues: o.acrValues,
    prompt: o.prompt,
    tokenEndpointAuthMethod: o.tokenEndpointAuthMethod,
    alg: o.alg,
    cookieName: o.cookieName,
    cookieSecure: url.protocol === 'https:',
    dataProviderResource: dataProvider && resourceOf(dataProvider),
    logger: o.logger,
  });
}

/** `{dataProviderUrl}/v1/quotient-familial`, below the URL's path (an API may sit under a prefix). */
function resourceOf(dataProviderUrl: URL): URL {
  const resource = new URL(dataProviderUrl);
  resource.pathname = `${resource.pathname.replace(/\/$/, '')}/v1/quotient-familial`;
  resource.search = '';
  resource.hash = '';
  return resource;
}
