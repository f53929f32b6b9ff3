import { fileURLToPath } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { loadCatalogues } from '../../../src/http/i18n.ts';
import { LANG_COOKIE, pageContext } from '../../../src/http/page-context.ts';

const catalogues = loadCatalogues(fileURLToPath(new URL('../../../views/', import.meta.url)));

function visit(input: { lang?: string; cookie?: string; acceptLanguage?: string }) {
  const set: Array<[string, string]> = [];
  const request = {
    method: 'GET',
    url: '/interaction/uid1',
    query: input.lang === undefined ? {} : { lang: input.lang },
    cookies: input.cookie === undefined ? {} : { [LANG_COOKIE]: input.cookie },
    headers: input.acceptLanguage ? { 'accept-language': input.acceptLanguage } : {},
  } as unknown as FastifyRequest;
  const reply = {
    setCookie: (name: string, value: string) => set.push([name, value]),
  } as unknown as FastifyReply;
  return { context: pageContext(catalogues, request, reply, { secure: false }), set };
}

describe('the language cookie, harmless by construction', () => {
  it('is written only with a known locale chosen by ?lang=', () => {
    expect(visit({ lang: 'en' }).set).toEqual([[LANG_COOKIE, 'en']]);
    for (const lang of ['de', 'en-GB', 'EN', '<script>', '../../etc/passwd', '']) {
      expect(visit({ lang }).set).toEqual([]);
    }
  });

  it('chooses the page language when it holds exactly a known locale', () => {
    expect(visit({ cookie: 'en' }).context.lang).toBe('en');
    expect(visit({ cookie: 'fr', acceptLanguage: 'en' }).context.lang).toBe('fr');
  });

  it('is ignored when it holds anything else: the negotiation goes on without it', () => {
    for (const cookie of ['en-GB', 'EN', 'english', 'en;q=1', '"><img>', 'x'.repeat(4096)]) {
      expect(visit({ cookie }).context.lang).toBe('fr');
      expect(visit({ cookie: cookie, acceptLanguage: 'en' }).context.lang).toBe('en');
    }
  });
});
