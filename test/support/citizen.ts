// A citizen going through a login over real HTTP: mire → IdP login page → consent → SP.
// Each step submits the form a browser would and follows redirects; the SP's redirect_uri is
// never fetched, its URL is kept for the SP to redeem.
import { expect } from 'vitest';
import { Browser, formAction } from './browser.ts';
import type { AuthorizeRequest } from './federation.ts';

export interface Page {
  url: URL;
  status: number;
  html: string;
}

export class Citizen {
  readonly browser = new Browser();
  page: Page | undefined;
  /** Where the hub sent the citizen back to the SP (code or error). */
  callback: URL | undefined;
  readonly #spRedirectUri: string;

  constructor(request: Pick<AuthorizeRequest, 'redirectUri'>) {
    this.#spRedirectUri = request.redirectUri;
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
    const page = this.currentPage();
    const csrf = hiddenValue(page.html, 'csrf');
    const action = formAction(page.html, page.url, containing);
    return this.go(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...(csrf ? { csrf } : {}), ...fields }).toString(),
    });
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

export function hiddenValue(html: string, name: string): string | undefined {
  const match = html.match(new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`));
  return match?.[1]?.replaceAll('&amp;', '&');
}
