// How a citizen's login ended, judged as a citizen would: completed (the SP got a code and used
// it), on a clear page (the hub's error page with its way back to the SP, the mire, or an error
// sent to the SP), or STRANDED (no answer, a timeout, any page without a way back). Pure: the
// drill's citizen (citizen.ts) feeds it what it saw.
import { errorKind, pageText } from '../driver.ts';

export type Result = 'completed' | 'clear' | 'stranded';

/** What one page of the login is, read from its markup (views/*.njk, the mock IdP's login page). */
export type Page =
  | { kind: 'mire'; offered: string[]; failureCode: string | undefined }
  | { kind: 'idp-login' }
  | { kind: 'consent' }
  | { kind: 'error'; code: string | undefined; wayBack: boolean }
  | { kind: 'unknown' };

/** How a login ended, before its way back is tried. */
export interface Ending {
  result: Result;
  /** Short, stable enough to count: `hub error page R5000 (HTTP 500) without a way back`. */
  kind: string;
  /** The hub's error code, when the page or the SP's error said it. */
  code?: string;
  /** What the page said (text, cut short), for the evidence. */
  detail?: string;
}

const CODE = /\bR\d{4}\b/;

export function readPage(html: string): Page {
  if (/action="\/interaction\/[^"/]+\/idp"/.test(html)) {
    const offered = [...html.matchAll(/name="idp" value="([^"]+)"/g)].map((m) => m[1] ?? '');
    const banner = /class="notice notice-error"[\s\S]*?<\/div>/.exec(html)?.[0];
    return { kind: 'mire', offered, failureCode: banner ? CODE.exec(banner)?.[0] : undefined };
  }
  if (/name="decision"/.test(html)) return { kind: 'consent' };
  if (/name="identity"/.test(html)) return { kind: 'idp-login' };
  if (/class="error-summary"/.test(html)) {
    return {
      kind: 'error',
      code: /<code>(R\d{4})<\/code>/.exec(html)?.[1],
      // The leave form, or (the store unreachable: R5003) a plain link to the SP.
      wayBack: /<form\b[^>]*class="back-to-sp"/.test(html) || /class="back-to-sp"><a href="/.test(html),
    };
  }
  return { kind: 'unknown' };
}

/** A page the citizen cannot go on from, with what it said. */
export function endOnHtml(html: string, status: number, hop: string, retryAfter?: string | null): Ending {
  return { ...endOnPage(readPage(html), status, hop, retryAfter), detail: pageText(html).slice(0, 200) };
}

/** A page the citizen cannot go on from: the login ends there. */
export function endOnPage(page: Page, status: number, hop: string, retryAfter?: string | null): Ending {
  if (page.kind === 'mire') {
    const why = page.offered.length === 0 ? 'no IdP offered' : 'IdP failed again';
    return {
      result: 'clear',
      kind: `mire: ${why}${page.failureCode ? ` (${page.failureCode})` : ''}`,
      ...(page.failureCode ? { code: page.failureCode } : {}),
    };
  }
  if (page.kind === 'error') {
    const code = page.code ?? 'no code';
    return page.wayBack
      ? { result: 'clear', kind: `hub error page ${code} (HTTP ${status})`, code }
      : {
          result: 'stranded',
          kind: `hub error page ${code} (HTTP ${status}) without a way back at ${hop}`,
          ...(page.code ? { code: page.code } : {}),
        };
  }
  if (status === 429) {
    return {
      result: 'stranded',
      kind: `HTTP 429 at ${hop} (Retry-After: ${retryAfter ?? 'none'}), no way back`,
    };
  }
  const what = page.kind === 'unknown' ? 'a page' : `the ${page.kind} page`;
  return { result: 'stranded', kind: `HTTP ${status} at ${hop}: ${what} without a way back` };
}

/** The browser is back at the SP's redirect_uri: with an error (clear), or a code (go on). */
export function endAtSp(callback: URL): Ending | undefined {
  const error = callback.searchParams.get('error');
  if (!error) return undefined;
  const code = CODE.exec(callback.searchParams.get('error_description') ?? '')?.[0];
  return {
    result: 'clear',
    kind: `error redirect to the SP: ${error}${code ? ` (${code})` : ''}`,
    ...(code ? { code } : {}),
  };
}

/** A request that got no answer (refused, reset, timed out): stranded where it happened. */
export function endOnFailure(error: unknown, hop: string): Ending {
  return { result: 'stranded', kind: `no answer: ${errorKind(error, hop)}` };
}

/**
 * The code reached the SP but its back channel failed: the citizen is back at the SP, which
 * shows its own error (the hub cannot do better: the browser has left it).
 */
export function endAtSpBackChannel(error: unknown, hop: string): Ending {
  return { result: 'clear', kind: `at the SP, its back channel failed: ${errorKind(error, hop)}` };
}
