// What the recipe tests share: a real relying party (Apache with mod_auth_openidc, a Flask app
// with Authlib) run as a child process on a loopback address of its own, and a citizen's browser
// that follows every redirect (the recipe's own pages included) through the hub and the mock IdP.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request as undiciRequest } from 'undici';
import { expect } from 'vitest';
import { Browser, confirmLogout } from '../support/browser.ts';
import { Citizen } from '../support/citizen.ts';
import type { Federation } from '../support/federation.ts';

/** The identité pivot of the mock IdP's 'standard' person, as the recipes' pages show it. */
export const STANDARD_PIVOT = {
  given_name: 'Camille',
  family_name: 'Martin',
  birthdate: '1987-04-12',
  gender: 'female',
  birthplace: '75056',
  birthcountry: '99100',
};

export interface RunningProcess {
  /** stdout and stderr so far (for a failing assertion's message). */
  output(): string;
  stop(): Promise<void>;
}

/** Spawns `command` and waits until `ready` answers (polled over HTTP), or fails with its output. */
export async function startProcess(
  command: string,
  args: string[],
  options: {
    env: Record<string, string | undefined>;
    ready: string;
    cwd?: string;
    timeoutMs?: number;
    /** A log file the process writes (Apache's ErrorLog), shown with its output. */
    logFile?: string;
  },
): Promise<RunningProcess> {
  const child: ChildProcess = spawn(command, args, {
    env: options.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let captured = '';
  const output = () => {
    const log = options.logFile && existsSync(options.logFile) ? readFileSync(options.logFile, 'utf8') : '';
    return `${captured}${log}`;
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    captured += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    captured += chunk.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    if (gone) throw new Error(`${command} exited before it answered:\n${output()}`);
    try {
      const response = await fetch(options.ready, { redirect: 'manual' });
      await response.body?.cancel();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${command} did not answer at ${options.ready}:\n${output()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    output,
    async stop() {
      if (gone) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The test browser, sending what a real browser sends on a top-level navigation (Accept: text/html,
 * Sec-Fetch-Mode: navigate, Sec-Fetch-Dest: document). mod_auth_openidc answers 401 instead of
 * redirecting to the hub when a request looks like a script's (fetch sends Sec-Fetch-Mode: cors, and
 * will not be told otherwise), so the requests go through undici's plain `request`.
 */
export class NavigatingBrowser extends Browser {
  override async request(url: URL | string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers: Record<string, string> = {
      accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
      'accept-language': 'fr-FR,fr;q=0.9',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) relais-recipe-test',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document',
      'sec-fetch-site': 'none',
    };
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const cookie = this.jar.header(target);
    if (cookie) headers.cookie = cookie;
    const answer = await undiciRequest(target, {
      method: (init.method ?? 'GET') as 'GET' | 'POST',
      headers,
      body: typeof init.body === 'string' ? init.body : null,
    });
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      for (const one of Array.isArray(value) ? value : [value ?? '']) responseHeaders.append(name, one);
    }
    const body = await answer.body.arrayBuffer();
    const noBody = answer.statusCode === 204 || answer.statusCode === 304;
    const response = new Response(noBody ? null : body, {
      status: answer.statusCode,
      headers: responseHeaders,
    });
    this.jar.store(target, response);
    return response;
  }
}

/** A citizen whose browser never stops at the SP: the recipe's pages are fetched like any other. */
export function citizenAtApp(): Citizen {
  return new Citizen({ redirectUri: 'about:nowhere' }, new NavigatingBrowser());
}

/**
 * From the app's protected page to whatever the app shows after the hub sent the citizen back:
 * mire → mock IdP ('standard') → consent → the recipe's redirect_uri → its page.
 */
export async function loginThroughApp(
  federation: Federation,
  start: string,
  idp = 'idp-a',
): Promise<Citizen> {
  const citizen = await citizenAtApp().go(start);
  const mire = citizen.currentPage();
  expect(mire.url.origin, mire.html.slice(0, 500)).toBe(federation.issuer);
  await citizen.chooseIdp(idp);
  await citizen.loginAs('standard');
  expect(citizen.currentPage().html).toContain('Transmission de vos données');
  await citizen.consent('accept');
  return citizen;
}

/** Follows a `<meta http-equiv="refresh" content="0; url=…">` page, as a browser does. */
export async function followMetaRefresh(citizen: Citizen): Promise<void> {
  const page = citizen.currentPage();
  const target = /<meta http-equiv="refresh" content="0; ?url=([^"]+)"/i.exec(page.html)?.[1];
  if (target) await citizen.go(new URL(target.replaceAll('&amp;', '&'), page.url));
}

/** The logout chain from the app's logout link: the hub's confirmation, the IdP's logout, back to the app. */
export async function logoutThroughApp(citizen: Citizen, logoutUrl: URL) {
  const { landing } = await confirmLogout(citizen.browser, logoutUrl, () => false);
  const html = (await landing.response?.text()) ?? '';
  return { landing, html };
}

/** Every identité pivot value of the 'standard' person appears on the page. */
export function expectPivotShown(html: string): void {
  for (const value of Object.values(STANDARD_PIVOT)) expect(html).toContain(value);
}

/** No identity on the page (a refused login shows nothing of the person). */
export function expectNoIdentity(html: string): void {
  expect(html).not.toContain(STANDARD_PIVOT.given_name);
  expect(html).not.toContain(STANDARD_PIVOT.family_name);
}
