// What every page needs to speak the citizen's language: the locale (explicit choice, then
// ui_locales, then Accept-Language), its translator, and the language switch links.
// The language cookie is harmless by construction rather than signed: it is only ever written with,
// and only ever read as, one of LOCALES exactly (anything else is ignored), and it only picks which
// of the hub's own catalogues renders a page; a planted one does no more than a `?lang=` link.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Catalogues, isLocale, LOCALES, type Locale, negotiateLocale, type Translate } from './i18n.ts';

export const LANG_COOKIE = 'relais_lang';

export interface PageContext {
  lang: Locale;
  t: Translate;
  languages: Array<{ lang: Locale; href: string; label: string }>;
}

/** `?lang=xx` chooses, and is remembered in a cookie for the pages that follow. */
export function pageContext(
  catalogues: Catalogues,
  request: FastifyRequest,
  reply: FastifyReply,
  options: { uiLocales?: string | undefined; switchUrl?: string | undefined; secure: boolean },
): PageContext {
  const query = request.query as Record<string, unknown> | undefined;
  const asked = isLocale(query?.lang) ? query.lang : undefined;
  if (asked)
    reply.setCookie(LANG_COOKIE, asked, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: options.secure,
      maxAge: 365 * 86_400,
    });
  const lang = negotiateLocale({
    // The cookie counts only as exactly one of LOCALES (negotiateLocale); anything else is ignored.
    explicit: asked ?? request.cookies[LANG_COOKIE],
    uiLocales: options.uiLocales,
    acceptLanguage: request.headers['accept-language'],
  });
  return buildContext(catalogues, lang, options.switchUrl ?? (request.method === 'GET' ? request.url : '/'));
}

export function buildContext(catalogues: Catalogues, lang: Locale, switchUrl: string): PageContext {
  const url = new URL(switchUrl, 'http://relais.invalid');
  const languages = LOCALES.filter((other) => other !== lang).map((other) => {
    url.searchParams.set('lang', other);
    return {
      lang: other,
      href: `${url.pathname}${url.search}`,
      label: catalogues.translator(other)(`languages.${other}`),
    };
  });
  return { lang, t: catalogues.translator(lang), languages };
}
