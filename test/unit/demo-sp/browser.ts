// Just enough of a browser for the tests: fetch with manual redirects and one cookie jar per host.

export interface Visit {
  readonly response: Response;
  readonly url: string;
  /** Every URL requested, the first one included. */
  readonly visited: string[];
}

export class Browser {
  readonly #jars = new Map<string, Map<string, string>>();

  /** One request, no redirect followed; sends and stores the cookies of the URL's host. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const { hostname } = new URL(url);
    const jar = this.#jars.get(hostname) ?? new Map<string, string>();
    this.#jars.set(hostname, jar);
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const setCookie of response.headers.getSetCookie()) store(jar, setCookie);
    return response;
  }

  /** Follows redirects with GET, as a browser does after a 302/303. */
  async navigate(url: string, init: RequestInit = {}): Promise<Visit> {
    const visited = [url];
    let current = url;
    let response = await this.request(url, init);
    while (response.status >= 300 && response.status < 400) {
      const location = response.headers.get('location');
      if (location === null) throw new Error(`redirect without location from ${current}`);
      await response.body?.cancel();
      current = new URL(location, current).href;
      visited.push(current);
      response = await this.request(current);
    }
    return { response, url: current, visited };
  }

  cookie(hostname: string, name: string): string | undefined {
    return this.#jars.get(hostname)?.get(name);
  }
}

function store(jar: Map<string, string>, setCookie: string): void {
  const [pair = '', ...attributes] = setCookie.split(';').map((part) => part.trim());
  const separator = pair.indexOf('=');
  const name = pair.slice(0, separator);
  const value = pair.slice(separator + 1);
  const expired = attributes.some(
    (attribute) => /^max-age=0$/i.test(attribute) || /^expires=.*1970/i.test(attribute),
  );
  if (expired || value === '') jar.delete(name);
  else jar.set(name, value);
}
