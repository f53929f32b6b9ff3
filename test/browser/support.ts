// A real browser (Debian's Chromium, driven by playwright-core) for the citizen pages: one browser
// per test file, a fresh context (cookie jar) per page, axe-core for WCAG, full-page screenshots,
// and a watch on every hub response for the headers and cookies every hub page must carry.
import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Locator,
  type Page,
  type Response,
} from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { type Locale, loadCatalogues, type Translate } from '../../src/http/i18n.ts';
import type { DomWindow } from './dom.ts';

export type { Page } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = `${ROOT}test/artifacts/browser/`;
export const CHROMIUM = '/usr/bin/chromium';

// No download ever: the system's Chromium, without anything that phones home.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let browser: Browser | undefined;
/** Pages opened since the last `expectHubHygiene`, with what their hub responses showed. */
const watched: Array<{ page: Page; context: BrowserContext; watch: HubWatch }> = [];

export async function launchBrowser(): Promise<Browser> {
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return browser;
}

export async function closeBrowser(): Promise<void> {
  const running = browser;
  browser = undefined;
  watched.length = 0;
  await running?.close();
}

/**
 * The hooks every browser test file needs: its servers start beside the browser, each test ends
 * with `expectHubHygiene`, and after the last one the browser, then the servers, are closed.
 */
export function useBrowser(start: () => Promise<{ close(): Promise<void> }>): void {
  let servers: { close(): Promise<void> } | undefined;
  beforeAll(async () => {
    // Kept as soon as they are up, so that afterAll closes them even if the browser fails to launch.
    const starting = start().then((started) => {
      servers = started;
    });
    await Promise.all([starting, launchBrowser()]);
  });
  afterEach(expectHubHygiene);
  afterAll(async () => {
    await closeBrowser();
    await servers?.close();
  });
}

export interface PageOptions {
  /** Viewport width in CSS px; default 1280. */
  width?: number;
  height?: number;
  /** Browser language (navigator.language and Accept-Language); default fr-FR. */
  locale?: string;
  /** false: a browser with JavaScript turned off. */
  javaScriptEnabled?: boolean;
  /** The hub's origin: its responses are checked by `expectHubHygiene`. */
  hub?: string;
}

/** A page in its own context: cookies are never shared between two pages. */
export async function newPage(options: PageOptions = {}): Promise<Page> {
  const context = await (await launchBrowser()).newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    locale: options.locale ?? 'fr-FR',
    javaScriptEnabled: options.javaScriptEnabled ?? true,
  });
  const page = await context.newPage();
  const watch = new HubWatch(options.hub);
  page.on('response', (response) => watch.record(response));
  page.on('console', (message) => {
    // Something the CSP blocked on a hub page (an inline style or script): the page is broken for real.
    if (message.text().includes('Content Security Policy') && watch.isHub(page.url())) {
      watch.problems.push(`${page.url()}: CSP violation: ${message.text()}`);
    }
  });
  watched.push({ page, context, watch });
  return page;
}

/**
 * Every hub page response seen since the last call, and the cookies the hub left in each context:
 * CSP with frame-ancestors 'none' and no 'unsafe-inline', Referrer-Policy no-referrer, no-store
 * on flow pages, every cookie HttpOnly with an explicit SameSite Lax or Strict. Closes the pages.
 */
export async function expectHubHygiene(): Promise<void> {
  const pages = watched.splice(0);
  const problems: string[] = [];
  for (const { context, watch } of pages) {
    await watch.settled();
    problems.push(...watch.problems);
    if (watch.hub) {
      for (const cookie of await context.cookies(watch.hub)) {
        if (!cookie.name.startsWith('relais_')) continue;
        if (!cookie.httpOnly) problems.push(`cookie ${cookie.name} is not HttpOnly`);
        if (cookie.sameSite === 'None') problems.push(`cookie ${cookie.name} is SameSite=None`);
      }
    }
    await context.close();
  }
  const checked = pages.reduce((sum, { watch }) => sum + watch.documents, 0);
  if (pages.some(({ watch }) => watch.hub)) expect(checked, 'no hub page was seen').toBeGreaterThan(0);
  expect(problems, problems.join('\n')).toEqual([]);
}

const NO_STORE_EXEMPT = new Set(['/errors']);

class HubWatch {
  readonly hub: string | undefined;
  readonly problems: string[] = [];
  documents = 0;
  readonly #pending: Array<Promise<void>> = [];

  constructor(hub: string | undefined) {
    this.hub = hub && new URL(hub).origin;
  }

  isHub(url: string): boolean {
    return this.hub !== undefined && url.startsWith(`${this.hub}/`);
  }

  record(response: Response): void {
    if (!this.isHub(response.url()) || response.request().resourceType() !== 'document') return;
    this.#pending.push(this.#check(response).catch(() => undefined));
  }

  async settled(): Promise<void> {
    await Promise.all(this.#pending.splice(0));
  }

  async #check(response: Response): Promise<void> {
    const url = new URL(response.url());
    const where = `${response.status()} ${url.pathname}`;
    const headers = await response.headersArray();
    const header = (name: string) => headers.filter((h) => h.name.toLowerCase() === name).map((h) => h.value);
    for (const setCookie of header('set-cookie').flatMap((value) => value.split('\n'))) {
      const problem = cookieProblem(setCookie);
      if (problem) this.problems.push(`${where}: ${problem}`);
    }
    if (response.status() >= 300 && response.status() < 400) return;
    this.documents += 1;
    if (response.status() >= 500) this.problems.push(`${where}: server error page`);
    const csp = header('content-security-policy').join(', ');
    if (!csp.includes("frame-ancestors 'none'"))
      this.problems.push(`${where}: CSP without frame-ancestors 'none': ${csp}`);
    if (csp.includes("'unsafe-inline'")) this.problems.push(`${where}: CSP allows 'unsafe-inline'`);
    if (header('referrer-policy').join() !== 'no-referrer')
      this.problems.push(`${where}: Referrer-Policy is not no-referrer`);
    if (!NO_STORE_EXEMPT.has(url.pathname) && !header('cache-control').join().includes('no-store')) {
      this.problems.push(`${where}: Cache-Control without no-store`);
    }
  }
}

/** What is wrong with one Set-Cookie of the hub; a deletion (expired, empty) carries nothing to protect. */
export function cookieProblem(setCookie: string): string | undefined {
  const [pair = '', ...attributes] = setCookie.split(';').map((part) => part.trim());
  const name = pair.split('=')[0] ?? '';
  const value = pair.slice(name.length + 1);
  const attribute = (wanted: string) =>
    attributes
      .find((a) => a.toLowerCase().split('=')[0] === wanted)
      ?.split('=')
      .slice(1)
      .join('=');
  const expires = attribute('expires');
  const deletion =
    value === '' ||
    attribute('max-age') === '0' ||
    (expires !== undefined && Date.parse(expires) < Date.now());
  if (deletion) return undefined;
  if (!attributes.some((a) => a.toLowerCase() === 'httponly')) return `cookie ${name} without HttpOnly`;
  const sameSite = attribute('samesite')?.toLowerCase();
  if (sameSite !== 'lax' && sameSite !== 'strict')
    return `cookie ${name} with SameSite=${sameSite ?? '(absent)'}`;
  return undefined;
}

interface AxeResult {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: Array<{ target: unknown[]; failureSummary?: string; html: string }>;
}

let axeSource: string | undefined;

/**
 * axe-core's WCAG 2.0/2.1 A and AA rules on the page as it is; fails listing each violation.
 * The source goes in through page.evaluate (DevTools protocol), which the hub's CSP (no script
 * at all) does not apply to, so the page is audited under its real CSP.
 */
export async function runAxe(page: Page, label = page.url()): Promise<void> {
  axeSource ??= await readFile(`${ROOT}node_modules/axe-core/axe.min.js`, 'utf8');
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const { axe, document } = globalThis as unknown as DomWindow & {
      axe: { run(context: unknown, options: unknown): Promise<{ violations: unknown[] }> };
    };
    const results = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return JSON.parse(JSON.stringify(results.violations));
  });
  const list = violations as AxeResult[];
  expect(list.length, `axe on ${label}:\n${formatViolations(list)}`).toBe(0);
}

function formatViolations(violations: AxeResult[]): string {
  return violations
    .map((v) =>
      [
        `- ${v.id} (${v.impact ?? 'n/a'}): ${v.help} ${v.helpUrl}`,
        ...v.nodes.map(
          (node) =>
            `    at ${node.target.join(' ')}: ${node.html.slice(0, 160)}\n      ${(node.failureSummary ?? '').replaceAll('\n', '\n      ')}`,
        ),
      ].join('\n'),
    )
    .join('\n');
}

/** Full-page PNGs at 1280 and 375 px wide under test/artifacts/browser/, viewport restored after. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  const viewport = page.viewportSize() ?? { width: 1280, height: 800 };
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: `${ARTIFACTS}${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize(viewport);
}

/** The page's visible text, with no-break spaces and runs of white space as one space. */
export async function visibleText(page: Page): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a citizen reads.
  const text = await page.locator('body').innerText();
  return text.replace(/[\s\u00a0\u202f]+/g, ' ');
}

let catalogues: ReturnType<typeof loadCatalogues> | undefined;

/** The hub's own message catalogues (views/messages), to assert the texts the contract names. */
export function messages(locale: Locale): Translate {
  catalogues ??= loadCatalogues(`${ROOT}views`);
  const translate = catalogues.translator(locale);
  return (key, params) => translate(key, params).replace(/[\s\u00a0\u202f]+/g, ' ');
}

/** The element that has the focus, described for assertions and failure messages. */
export interface Focused {
  tag: string;
  name: string | null;
  value: string | null;
  href: string | null;
  text: string;
  inMain: boolean;
  outline: string;
  boxShadow: string;
}

export function focused(page: Page): Promise<Focused | undefined> {
  return page.evaluate(() => {
    const { document, getComputedStyle } = globalThis as unknown as DomWindow;
    const element = document.activeElement;
    if (!element || element === document.body) return undefined;
    const style = getComputedStyle(element);
    return {
      tag: element.tagName.toLowerCase(),
      name: element.getAttribute('name'),
      value: element.getAttribute('value'),
      href: element.getAttribute('href'),
      text: (element.textContent ?? '').replace(/\s+/g, ' ').trim(),
      inMain: element.closest('main') !== null,
      outline: `${style.outlineStyle} ${style.outlineWidth}`,
      boxShadow: style.boxShadow,
    };
  });
}

/** A focus indicator is drawn: an outline (Chromium's default ring is 'auto') or a box-shadow. */
export function focusVisible(element: Focused): boolean {
  const [style, width] = element.outline.split(' ');
  return (style !== 'none' && width !== '0px') || element.boxShadow !== 'none';
}

/** Presses Tab until the focus leaves the page or comes back round; returns every stop in order. */
export async function tabStops(page: Page, max = 40): Promise<Focused[]> {
  const stops: Focused[] = [];
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    const current = await focused(page);
    if (!current) break;
    const first = stops[0];
    if (first && stops.length > 1 && JSON.stringify(first) === JSON.stringify(current)) break;
    stops.push(current);
  }
  return stops;
}

/** Clicks what submits a form or follows a link, and waits for the page that comes of it to load. */
export async function clickThrough(page: Page, target: string | Locator): Promise<void> {
  const navigated = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() });
  await (typeof target === 'string' ? page.locator(target).first() : target).click();
  await navigated;
  await page.waitForLoadState('load');
}
