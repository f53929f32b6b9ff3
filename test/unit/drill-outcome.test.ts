// bench/drill/outcome.ts: how the drill reads the pages a citizen lands on, and how a login that
// ends there is judged (completed elsewhere, clear page with a way back, or stranded).
import { describe, expect, it } from 'vitest';
import {
  endAtSp,
  endAtSpBackChannel,
  endOnFailure,
  endOnHtml,
  endOnPage,
  readPage,
} from '../../bench/drill/outcome.ts';

// The markup the hub's templates render (views/mire.njk, consent.njk, error.njk), cut down.
const mire = (idps: string, banner = '') => `<h1>Choisissez un compte</h1>${banner}
<form method="post" action="/interaction/abc123/idp" class="idp-form">
  <input type="hidden" name="csrf" value="t0k">
  <ul>${idps}</ul>
</form>
<form method="post" action="/interaction/abc123/cancel" class="back-form">
  <input type="hidden" name="csrf" value="t0k"><button type="submit" class="button-back">Revenir</button>
</form>`;
const offered = '<li><button type="submit" name="idp" value="mock-idp" class="idp-choice">Démo</button></li>';
const greyed =
  '<li class="idp idp-unavailable"><button type="button" class="idp-choice" disabled>Démo</button></li>';
const banner =
  '<div class="notice notice-error" role="alert"><h2>Démo n’a pas répondu</h2><p class="notice-ref">Code : R2002</p></div>';
const errorPage = (
  code: string,
  wayBack: boolean,
) => `<div class="error-summary"><h1>Problème technique</h1></div>
${wayBack ? '<form method="post" action="/interaction/abc123/leave" class="back-to-sp"><input type="hidden" name="csrf" value="x"><input type="hidden" name="code" value="R5000"><button>Revenir à Démo</button></form>' : ''}
<dl class="references"><div><dt>Code</dt><dd><code>${code}</code></dd></div></dl>`;

describe('readPage', () => {
  it('takes a plain link back to the SP (the store unreachable, R5003) as a way back', () => {
    const page = `<div class="error-summary"><h1>Service momentanément indisponible</h1></div>
<p class="back-to-sp"><a href="http://sp.example/cb?error=temporarily_unavailable&amp;state=s" class="button button-primary">Revenir à Démo</a></p>
<dl class="references"><div><dt>Code</dt><dd><code>R5003</code></dd></div></dl>`;
    expect(readPage(page)).toEqual({ kind: 'error', code: 'R5003', wayBack: true });
  });

  it('reads the mire, the IdPs it offers and the code of its banner', () => {
    expect(readPage(mire(offered))).toEqual({ kind: 'mire', offered: ['mock-idp'], failureCode: undefined });
    expect(readPage(mire(greyed, banner))).toEqual({ kind: 'mire', offered: [], failureCode: 'R2002' });
  });

  it('tells the consent page, the IdP login page and the hub error page apart', () => {
    expect(readPage('<form action="/interaction/x/consent"><button name="decision" value="accept">')).toEqual(
      {
        kind: 'consent',
      },
    );
    expect(readPage('<form action="/interaction/x/login"><button name="identity" value="standard">')).toEqual(
      {
        kind: 'idp-login',
      },
    );
    expect(readPage(errorPage('R4003', true))).toEqual({ kind: 'error', code: 'R4003', wayBack: true });
    expect(readPage(errorPage('R5000', false))).toEqual({ kind: 'error', code: 'R5000', wayBack: false });
  });

  it('knows nothing of a page that is none of those (a proxy’s 502, a JSON error)', () => {
    expect(readPage('front: no live hub instance')).toEqual({ kind: 'unknown' });
    expect(readPage('{"statusCode":500,"error":"Internal Server Error"}')).toEqual({ kind: 'unknown' });
  });
});

describe('a login that ends on a page', () => {
  it('is on a clear page when the hub’s error page offers the way back to the SP', () => {
    expect(endOnPage(readPage(errorPage('R4003', true)), 400, 'hub.mire')).toEqual({
      result: 'clear',
      kind: 'hub error page R4003 (HTTP 400)',
      code: 'R4003',
    });
  });

  it('is stranded on a hub error page without a way back, whatever its status', () => {
    const ending = endOnPage(readPage(errorPage('R5000', false)), 500, 'hub.authorize');
    expect(ending.result).toBe('stranded');
    expect(ending.kind).toBe('hub error page R5000 (HTTP 500) without a way back at hub.authorize');
    expect(endOnPage(readPage(errorPage('R4003', false)), 400, 'hub.mire').result).toBe('stranded');
  });

  it('is on a clear page on the mire, which always has its way back', () => {
    expect(endOnPage(readPage(mire(greyed, banner)), 200, 'hub.callback')).toEqual({
      result: 'clear',
      kind: 'mire: no IdP offered (R2002)',
      code: 'R2002',
    });
    expect(endOnPage(readPage(mire(offered, banner)), 200, 'hub.callback').kind).toBe(
      'mire: IdP failed again (R2002)',
    );
  });

  it('is stranded on a 5xx or a 429 that is not a page with a way back', () => {
    expect(endOnPage(readPage('front: ECONNREFUSED'), 502, 'hub.consent')).toEqual({
      result: 'stranded',
      kind: 'HTTP 502 at hub.consent: a page without a way back',
    });
    expect(endOnPage({ kind: 'unknown' }, 429, 'hub.authorize', '7')).toEqual({
      result: 'stranded',
      kind: 'HTTP 429 at hub.authorize (Retry-After: 7), no way back',
    });
  });

  it('keeps what the page said, as text, for the evidence', () => {
    const ending = endOnHtml(errorPage('R5000', false), 500, 'hub.authorize');
    expect(ending.detail).toContain('Problème technique');
    expect(ending.detail).not.toContain('<');
  });
});

describe('a login that ends elsewhere', () => {
  it('is on a clear page when the SP receives an error, with the hub’s code when it says one', () => {
    const url = new URL(
      'http://127.0.0.1:9/callback?error=temporarily_unavailable&error_description=R2002%3A+unavailable&state=s',
    );
    expect(endAtSp(url)).toEqual({
      result: 'clear',
      kind: 'error redirect to the SP: temporarily_unavailable (R2002)',
      code: 'R2002',
    });
  });

  it('goes on when the SP receives a code', () => {
    expect(endAtSp(new URL('http://127.0.0.1:9/callback?code=abc&state=s'))).toBeUndefined();
  });

  it('is stranded when a request gets no answer or times out', () => {
    const refused = new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    expect(endOnFailure(refused, 'hub.authorize')).toEqual({
      result: 'stranded',
      kind: 'no answer: ECONNREFUSED at hub.authorize',
    });
    const timeout = new DOMException('The operation timed out.', 'TimeoutError');
    expect(endOnFailure(timeout, 'hub.callback').kind).toBe('no answer: timeout at hub.callback');
  });

  it('is on a clear page when the SP’s back channel fails once the citizen is back at the SP', () => {
    const ending = endAtSpBackChannel(Object.assign(new Error('x'), { status: 500 }), 'hub.token');
    expect(ending).toEqual({
      result: 'clear',
      kind: 'at the SP, its back channel failed: HTTP 500 at hub.token',
    });
  });
});
