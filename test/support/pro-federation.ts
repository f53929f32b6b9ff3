// A ProConnect federation for the tests: a ministry's IdP (interieur.gouv.fr), two IdPs sharing a
// domain (culture.gouv.fr), and a fallback for anyone else, each a mock IdP of fictitious agents.
import type { TestIdp } from './federation.ts';

const agents = (emailDomain: string) => ({ population: 'agents' as const, emailDomain });

export const PRO_TEST_IDPS: TestIdp[] = [
  {
    uid: 'interieur',
    host: '127.0.0.2',
    ...agents('interieur.gouv.fr'),
    entry: { email_domains: ['interieur.gouv.fr'], public_sector: true, order: 1 },
  },
  {
    uid: 'culture-a',
    host: '127.0.0.3',
    ...agents('culture.gouv.fr'),
    entry: { email_domains: ['culture.gouv.fr'], public_sector: true, order: 2 },
  },
  {
    uid: 'culture-b',
    host: '127.0.0.4',
    ...agents('culture.gouv.fr'),
    entry: { email_domains: ['culture.gouv.fr'], public_sector: true, order: 3 },
  },
  {
    uid: 'pro-identite',
    host: '127.0.0.5',
    ...agents('entreprise.example'),
    entry: { fallback: true, order: 4 },
  },
];

export const PRO_TEST_SP = {
  client_id: 'sp-pro',
  client_secret: 'sp-pro-secret-0123456789-0123456789-abcdef',
};
