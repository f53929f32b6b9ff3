// A tiny browser for tests: fetch with `redirect: 'manual'` plus a cookie jar that behaves like a
// browser where it matters to an OIDC flow. Cookies are scoped to the host name, NOT the port (as
// in browsers, so two servers on one host can clobber each other's cookies), honour Path, Max-Age
// and Expires, and a `SameSite=None` cookie without `Secure` is refused (as Chrome and Firefox do).
// Not modelled: Domain, SameSite enforcement between sites.

interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
  secure: boolean;
  expiresAt: number;
}

export class CookieJar {
  readonly #cookies = new Map<string, StoredCookie>();

  /** Takes the Set-Cookie headers of a response to a request for `url`. */
  store(url: URL, response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const cookie = parseSetCookie(url, header);
      if (!cookie) continue;
      const key = `${cookie.host} ${cookie.path} ${cookie.name}`;
      if (cookie.expiresAt <= Date.now()) this.#cookies.delete(key);
      else this.#cookies.set(key, cookie);
    }
  }

  /** The Cookie header a browser would send to `url`, longest path first. */
  header(url: URL): string | undefined {
    const sent = this.list(url).map((cookie) => `${cookie.name}=${cookie.value}`);
    return sent.length > 0 ? sent.join('; ') : undefined;
  }

  /** The live cookies that would be sent to `url`. */
  list(url: URL): StoredCookie[] {
    const now = Date.now();
    return [...this.#cookies.values()]
      .filter((cookie) => cookie.expiresAt > now && cookie.host === url.hostname)
      .filter((cookie) => pathMatches(url.pathname, cookie.path))
      .filter((cookie) => !cookie.secure || url.protocol === 'https:' || url.hostname === 'localhost')
      .sort((a, b) => b.path.length - a.path.length);
  }

  /** Every cookie name held for a host, whatever its path. */
  names(hostname: string): string[] {
    return [...this.#cookies.values()]
      .filter((cookie) => cookie.host === hostname)
      .map((cookie) => cookie.name);
  }
}

function parseSetCookie(url: URL, header: string): StoredCookie | undefined {
  const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
  const equals = pair.indexOf('=');
  if (equals <= 0) return undefined;
  const cookie: StoredCookie = {
    name: pair.slice(0, equals),
    value: pair.slice(equals + 1),
    host: url.hostname,
    path: defaultPath(url.pathname),
    secure: false,
    expiresAt: Number.POSITIVE_INFINITY,
  };
  let sameSiteNone = false;
  for (const attribute of attributes) {
    const [rawName = '', ...rest] = attribute.split('=');
    const name = rawName.toLowerCase();
    const value = rest.join('=');
    if (name === 'path' && value.startsWith('/')) cookie.path = value;
    else if (name === 'secure') cookie.secure = true;
    else if (name === 'samesite') sameSiteNone = value.toLowerCase() === 'none';
    else if (name === 'max-age') cookie.expiresAt = Date.now() + Number(value) * 1000;
    else if (name === 'expires' && !attributes.some((a) => a.toLowerCase().startsWith('max-age'))) {
      cookie.expiresAt = Date.parse(value);
    }
  }
  if (sameSiteNone && !cookie.secure) return undefined;
  return cookie;
}

// RFC 6265 §5.1.4.
function defaultPath(pathname: string): string {
  const slash = pathname.lastIndexOf('/');
  return slash <= 0 ? '/' : pathname.slice(0, slash);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

export interface Landing {
  /** Where the chain of redirects stopped. */
  url: URL;
  /** The response at `url`, or undefined when `stopAt` matched (it was not fetched). */
  response?: Response;
  /** Every URL of the chain, from the first one to `url`. */
  visited: URL[];
}

export class Browser {
  readonly jar = new CookieJar();

  /** One request, cookies sent and stored, redirects not followed. */
  async request(url: URL | string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.jar.header(target);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    this.jar.store(target, response);
    return response;
  }

  /**
   * Follows redirects as a browser does (303/302/301 turn into GET) and stops before fetching a URL
   * for which `stopAt` is true, e.g. a client's redirect_uri that nothing serves in a test.
   */
  async navigate(url: URL | string, stopAt: (url: URL) => boolean, init: RequestInit = {}): Promise<Landing> {
    let target = new URL(url);
    let request = init;
    const visited = [target];
    for (let hop = 0; hop < 20; hop += 1) {
      if (stopAt(target)) return { url: target, visited };
      const response = await this.request(target, request);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) {
        return { url: target, response, visited };
      }
      await response.body?.cancel();
      target = new URL(location, target);
      visited.push(target);
      if (response.status !== 307 && response.status !== 308) request = {};
    }
    throw new Error('too many redirects');
  }

  /** Submits a urlencoded form as a browser would, then follows the redirects. */
  submit(
    action: URL | string,
    fields: Record<string, string>,
    stopAt: (url: URL) => boolean,
  ): Promise<Landing> {
    return this.navigate(action, stopAt, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

/** The `action` of the first form on a page whose content includes `containing`. */
export function formAction(html: string, pageUrl: URL, containing = ''): URL {
  for (const [, action = '', inner = ''] of html.matchAll(
    /<form\b[^>]*\baction="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g,
  )) {
    if (inner.includes(containing)) return new URL(action.replaceAll('&amp;', '&'), pageUrl);
  }
  throw new Error('no matching form on the page');
}

const XSRF = /name="xsrf" value="([^"]+)"/;

/**
 * oidc-provider's RP-initiated logout: opens the confirmation page at `endSession`, answers "yes"
 * with the page's xsrf token and follows the redirects; `stopAt` as for `navigate`. The logout
 * pages met on the way (the IdP's, which a real browser submits by script) are answered the same
 * way; `landing.visited` holds the whole chain.
 */
export async function confirmLogout(
  browser: Browser,
  endSession: URL | string,
  stopAt: (url: URL) => boolean,
): Promise<{ confirmation: string; xsrf: string; landing: Landing }> {
  const page = await browser.navigate(endSession, stopAt);
  const confirmation = (await page.response?.text()) ?? '';
  const xsrf = XSRF.exec(confirmation)?.[1] ?? '';
  const action = formAction(confirmation, page.url, 'name="xsrf"');
  let landing = await browser.submit(action, { xsrf, logout: 'yes' }, stopAt);
  const visited = [...page.visited, ...landing.visited];
  for (let hop = 0; hop < 3 && landing.response; hop += 1) {
    const html = await landing.response.clone().text();
    const next = XSRF.exec(html)?.[1];
    if (!next) break;
    landing = await browser.submit(
      formAction(html, landing.url, 'name="xsrf"'),
      { xsrf: next, logout: 'yes' },
      stopAt,
    );
    visited.push(...landing.visited);
  }
  return { confirmation, xsrf, landing: { ...landing, visited } };
}
