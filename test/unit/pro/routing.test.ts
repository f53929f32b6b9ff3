// Routing an agent's email domain: the IdPs listing it, the most specific first, else the fallback.
import { describe, expect, it } from 'vitest';
import { type RoutableIdp, routeEmail } from '../../../src/pro/routing.ts';

const gouv: RoutableIdp = { uid: 'agentconnect-gouv', email_domains: ['gouv.fr'] };
const interieur: RoutableIdp = { uid: 'idp-interieur', email_domains: ['exemple.fr', 'interieur.gouv.fr'] };
const interieurBis: RoutableIdp = { uid: 'idp-interieur-bis', email_domains: ['Interieur.Gouv.FR'] };
const fallback: RoutableIdp = { uid: 'idp-fallback', fallback: true };
const fallbackBis: RoutableIdp = { uid: 'idp-fallback-bis', fallback: true };
const uids = (route: ReturnType<typeof routeEmail>) =>
  route.kind === 'domain' ? route.idps.map((idp) => idp.uid) : [];

describe('routeEmail', () => {
  it('routes to the one IdP listing the domain', () => {
    expect(routeEmail('gouv.fr', [interieur, gouv, fallback])).toEqual({
      kind: 'domain',
      idps: [gouv],
      matched: 'gouv.fr',
    });
  });

  it('routes a subdomain to the IdP listing its parent', () => {
    expect(routeEmail('justice.gouv.fr', [interieur, gouv])).toEqual({
      kind: 'domain',
      idps: [gouv],
      matched: 'gouv.fr',
    });
  });

  it('prefers the most specific listed domain', () => {
    const route = routeEmail('police.interieur.gouv.fr', [gouv, interieur]);
    expect(route).toEqual({ kind: 'domain', idps: [interieur], matched: 'interieur.gouv.fr' });
  });

  it('routes to every IdP listing the same most specific domain, in the order given', () => {
    const route = routeEmail('interieur.gouv.fr', [interieurBis, gouv, interieur]);
    expect(route).toMatchObject({ kind: 'domain', matched: 'interieur.gouv.fr' });
    expect(uids(route)).toEqual(['idp-interieur-bis', 'idp-interieur']);
    expect(uids(routeEmail('interieur.gouv.fr', [interieur, gouv, interieurBis]))).toEqual([
      'idp-interieur',
      'idp-interieur-bis',
    ]);
  });

  it('matches whatever the case', () => {
    expect(uids(routeEmail('POLICE.Interieur.gouv.fr', [gouv, interieurBis]))).toEqual(['idp-interieur-bis']);
  });

  it('does not route evil-gouv.fr to the IdP listing gouv.fr', () => {
    expect(routeEmail('evil-gouv.fr', [gouv])).toEqual({ kind: 'none' });
    expect(routeEmail('evil-gouv.fr', [gouv, fallback])).toEqual({ kind: 'fallback', idp: fallback });
  });

  it('falls back to the first fallback IdP when no domain matches', () => {
    expect(routeEmail('exemple.org', [gouv, fallbackBis, fallback])).toEqual({
      kind: 'fallback',
      idp: fallbackBis,
    });
  });

  it('finds no route without a match or a fallback', () => {
    expect(routeEmail('exemple.org', [gouv, interieur])).toEqual({ kind: 'none' });
    expect(routeEmail('exemple.org', [])).toEqual({ kind: 'none' });
  });

  it('treats a fallback IdP that lists domains as a domain candidate for them', () => {
    const both: RoutableIdp = { uid: 'idp-both', email_domains: ['gouv.fr'], fallback: true };
    expect(routeEmail('gouv.fr', [gouv, both])).toEqual({
      kind: 'domain',
      idps: [gouv, both],
      matched: 'gouv.fr',
    });
    expect(routeEmail('interieur.gouv.fr', [both, interieur])).toMatchObject({ idps: [interieur] });
    expect(routeEmail('exemple.org', [gouv, both])).toEqual({ kind: 'fallback', idp: both });
  });

  it('keeps the caller type of the IdPs', () => {
    const idps = [{ ...gouv, name: 'Fictive agency' }];
    const route = routeEmail('gouv.fr', idps);
    expect(route.kind === 'domain' && route.idps[0]?.name).toBe('Fictive agency');
  });
});
