// The servers a browser test talks to besides the demo (test/support/demo.ts): for the cases the
// demo cannot show, a federation with a page server for the redirect URIs of its test SPs
// (nothing else listens on 127.0.0.20).
import { createServer, type Server } from 'node:http';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { authorizeRequest, type Federation, spClient, startFederation } from '../support/federation.ts';

export const SP_CALLBACK_TITLE = 'Test SP callback';

/**
 * A tiny server where startFederation's test SPs live (127.0.0.20): it answers every path with a
 * small page, so the browser rests on the SP's redirect_uri and its URL keeps the code or error.
 * (page.route cannot stand in for it: a route sees only the first URL of a redirect chain.)
 */
async function startSpPages(federation: Federation): Promise<{ close(): Promise<void> }> {
  const origins = new Set(
    [...federation.sps.values()]
      .flatMap((sp) => [...sp.redirect_uris, ...sp.post_logout_redirect_uris])
      .map((uri) => new URL(uri).host),
  );
  const servers: Server[] = [];
  for (const host of origins) {
    const { hostname, port } = new URL(`http://${host}`);
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      response.end(
        `<!doctype html><html lang="en"><title>${SP_CALLBACK_TITLE}</title><h1>${SP_CALLBACK_TITLE}</h1></html>`,
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(Number(port), hostname, resolve);
    });
    servers.push(server);
  }
  return {
    async close() {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}

/** startFederation, with the SP pages beside it; close() stops both. */
export async function startFederationWithSpPages(
  spec: Parameters<typeof startFederation>[0],
): Promise<Federation> {
  const federation = await startFederation(spec);
  const spPages = await startSpPages(federation).catch(async (error: unknown) => {
    await federation.close();
    throw error;
  });
  return {
    ...federation,
    async close() {
      await spPages.close();
      await federation.close();
    },
  };
}

/** A fresh FC v2 authorize URL for a test SP, with `params` overriding the defaults. */
export async function authorizeUrl(
  federation: Federation,
  clientId: string,
  params: Record<string, string | undefined> = {},
): Promise<{ url: string; state: string; redirectUri: string }> {
  const request = await authorizeRequest(federation, await spClient(federation, clientId), params);
  return { url: request.url.href, state: request.state, redirectUri: request.redirectUri };
}

/** The page is the SP's redirect_uri: its query, after checking state and iss. */
export function atSp(
  page: Page,
  expected: { redirectUri: string; state: string; issuer: string },
): URLSearchParams {
  const url = new URL(page.url());
  expect(`${url.origin}${url.pathname}`, `not back at the SP: ${page.url()}`).toBe(expected.redirectUri);
  expect(url.searchParams.get('state')).toBe(expected.state);
  expect(url.searchParams.get('iss')).toBe(expected.issuer);
  return url.searchParams;
}
