// A citizen going through a login over real HTTP: mire → IdP login page → consent → SP.
// Each step submits the form a browser would and follows redirects; the SP's redirect_uri is
// never fetched, its URL is kept for the SP to redeem.
import { expect } from 'vitest';
import { Browser } from './browser.ts';
import type { AuthorizeRequest } from './federation.ts';

export interface Page {
  url: URL;
  status: number;
  html: string;
}

export class Citizen {
  readonly browser: Browser;
  page: Page | undefined;
  /** Where the hub sent the citizen back to the SP (code or error). */
  callback: URL | undefined;
  readonly #spRedirectUri: string;

  /** `browser`: another transport (test/support/wire-browser.ts), e.g. forged headers or TLS in front. */
  constructor(request: Pick<AuthorizeRequest, 'redirectUri'>, browser: Browser = new Browser()) {
    this.#spRedirectUri = request.redirectUri;
    this.browser = browser;
  }

  readonly #atSp = (url: URL) => url.href.startsWith(this.#spRedirectUri);

  async go(url: URL | string, init: RequestInit = {}): Promise<this> {
    const landing = await this.browser.navigate(url, this.#atSp, init);
    if (landing.response) {
      this.page = { url: landing.url, status: landing.response.status, html: await landing.response.text() };
      this.callback = undefined;
    } else {
      this.page = undefined;
      this.callback = landing.url;
    }
    return this;
  }

  async submit(containing: string, fields: Record<string, string>): Promise<this> {
    const form = this.form(containing, fields);
    return this.go(form.action, form.init);
  }

  /** The POST a browser would send for a form of the current page (its hidden fields included), unsent. */
  form(containing: string, fields: Record<string, string>): { action: URL; init: RequestInit } {
    const { action, hidden } = formOn(this.currentPage(), containing);
    return {
      action,
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...hidden, ...fields }).toString(),
      },
    };
  }

  /**
   * Logs in on the IdP's page and stops where the IdP sends the browser back to the hub: returns
   * that callback URL (code, state, iss), not yet fetched, for replay tests.
   */
  async loginAsUntilCallback(identity: string): Promise<URL> {
    const form = this.form('name="identity"', { identity });
    const landing = await this.browser.navigate(
      form.action,
      (url) => url.pathname === '/idp/callback' || this.#atSp(url),
      form.init,
    );
    if (landing.response || landing.url.pathname !== '/idp/callback') {
      throw new Error(`the IdP did not send the browser to the hub's callback: ${landing.url.href}`);
    }
    return landing.url;
  }

  chooseIdp(uid: string) {
    return this.submit('name="idp"', { idp: uid });
  }

  loginAs(identity: string) {
    return this.submit('name="identity"', { identity });
  }

  consent(decision: 'accept' | 'refuse') {
    return this.submit('name="decision"', { decision });
  }

  cancelOnMire() {
    return this.submit('/cancel', {});
  }

  currentPage(): Page {
    if (!this.page) throw new Error(`no page: the citizen is at the SP (${this.callback?.href})`);
    return this.page;
  }

  /** The SP callback's parameters, asserting the hub sent the citizen back to the SP. */
  spParams(): URLSearchParams {
    expect(
      this.callback,
      `still on a page: ${this.page?.url.href} ${this.page?.html.slice(0, 400)}`,
    ).toBeDefined();
    return (this.callback as URL).searchParams;
  }
}

/** The first form whose tag or content includes `containing` (e.g. its action path): action and hidden fields. */
function formOn(page: Page, containing: string): { action: URL; hidden: Record<string, string> } {
  for (const [form, action = ''] of page.html.matchAll(
    /<form\b[^>]*\baction="([^"]*)"[^>]*>[\s\S]*?<\/form>/g,
  )) {
    if (!form.includes(containing)) continue;
    const hidden: Record<string, string> = {};
    for (const [input] of form.matchAll(/<input\b[^>]*type="hidden"[^>]*>/g)) {
      const name = /\bname="([^"]*)"/.exec(input)?.[1];
      const value = /\bvalue="([^"]*)"/.exec(input)?.[1];
      if (name) hidden[name] = decodeEntities(value ?? '');
    }
    return { action: new URL(decodeEntities(action), page.url), hidden };
  }
  throw new Error(`no form with ${containing} on ${page.url.href}`);
}

function decodeEntities(value: string): string {
  return value
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

export function hiddenValue(html: string, name: string): string | undefined {
  const match = html.match(new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`));
  return match?.[1]?.replaceAll('&amp;', '&');
}

/** The hub sent the citizen back to the SP with this OAuth error, its [Rxxxx] code, state and iss. */
export function expectSpError(
  params: URLSearchParams,
  expected: { error: string; code: string; iss: string; state: string | null },
): void {
  expect(params.get('error'), params.get('error_description') ?? '').toBe(expected.error);
  expect(params.get('error_description')).toMatch(new RegExp(`\\[${expected.code}\\]$`));
  expect(params.get('iss')).toBe(expected.iss);
  expect(params.get('state')).toBe(expected.state);
  expect(params.has('code')).toBe(false);
}

/** The citizen is stranded on no SP: the hub shows its own error page with this status and code. */
export function expectHubErrorPage(
  citizen: Citizen,
  expected: { origin: string; status: number; code: string },
): void {
  expect(citizen.callback, `sent to the SP: ${citizen.callback?.href}`).toBeUndefined();
  const page = citizen.currentPage();
  expect(page.url.origin).toBe(expected.origin);
  expect(page.status).toBe(expected.status);
  expect(page.html).toContain(`<code>${expected.code}</code>`);
}
