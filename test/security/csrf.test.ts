// Cross-site request forgery on the login's forms: every POST of an interaction (the mire's IdP
// choice and its way back, ProConnect's email page, the consent, the error page's way back) needs
// the CSRF token bound to that login, sent as a urlencoded form. A token missing, forged or taken
// from another login, or a body of another kind (JSON, multipart, text/plain) even with the right
// token, gets the hub's error page (R4004) and leaves the login where it was; the same form sent
// right then goes through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Citizen, expectHubErrorPage, expectSpError, hiddenValue } from '../support/citizen.ts';
import { type Federation, startFederation } from '../support/federation.ts';
import { PRO_TEST_IDPS, PRO_TEST_SP } from '../support/pro-federation.ts';
import { interactionUid, startLogin } from '../support/security.ts';

let citizens: Federation;
let agents: Federation;

const SP = { client_id: 'sp-csrf', client_secret: 'sp-csrf-secret-0123456789-0123456789-abcdef' };

// Some 300 requests in a few seconds from one address: the abuse limits are not under test here.
const env = { RATE_LIMITS: 'off' };

beforeAll(async () => {
  [citizens, agents] = await Promise.all([
    startFederation({ env, idps: [{ uid: 'idp-csrf', host: '127.0.0.2' }], sps: [SP] }),
    startFederation({ env, profile: 'proconnect', idps: PRO_TEST_IDPS.slice(0, 1), sps: [PRO_TEST_SP] }),
  ]);
});

afterAll(async () => {
  await Promise.all([citizens?.close(), agents?.close()]);
});

const MIRE = 'Choisissez un compte';
const CONSENT = 'Transmission de vos données';
const EMAIL_PAGE = 'name="email"';

interface FormStep {
  route: string;
  federation: () => Federation;
  /** A citizen on the page holding the form, and where the SP's answer is checked. */
  reach(): Promise<{ citizen: Citizen; state: string }>;
  /** Which form of the page, and the fields the citizen fills in. */
  form: { containing: string; fields: Record<string, string> };
  /** What GET /interaction/<uid> shows while the login has not moved. */
  pageOfLogin: string;
  /** The same form sent right: where it leads. */
  succeeded(citizen: Citizen, state: string): void;
}

const onMire = async () => {
  const { citizen, request } = await startLogin(citizens, SP.client_id);
  expect(citizen.currentPage().html).toContain(MIRE);
  return { citizen, state: request.state };
};

const onConsent = async () => {
  const reached = await onMire();
  await reached.citizen.chooseIdp('idp-csrf');
  await reached.citizen.loginAs('standard');
  expect(reached.citizen.currentPage().html).toContain(CONSENT);
  return reached;
};

const STEPS: FormStep[] = [
  {
    route: '/idp',
    federation: () => citizens,
    reach: onMire,
    form: { containing: 'name="idp"', fields: { idp: 'idp-csrf' } },
    pageOfLogin: MIRE,
    succeeded: (citizen) =>
      expect(citizen.currentPage().url.origin).toBe(citizens.idps.get('idp-csrf')?.issuer),
  },
  {
    route: '/cancel',
    federation: () => citizens,
    reach: onMire,
    form: { containing: '/cancel', fields: {} },
    pageOfLogin: MIRE,
    succeeded: (citizen, state) =>
      expectSpError(citizen.spParams(), {
        error: 'access_denied',
        code: 'R4001',
        iss: citizens.issuer,
        state,
      }),
  },
  {
    route: '/consent',
    federation: () => citizens,
    reach: onConsent,
    form: { containing: 'name="decision"', fields: { decision: 'accept' } },
    pageOfLogin: CONSENT,
    succeeded: (citizen, state) => {
      expect(citizen.spParams().get('state')).toBe(state);
      expect(citizen.spParams().get('code')).toBeTruthy();
    },
  },
  {
    route: '/leave',
    federation: () => citizens,
    // The consent page reloaded (its IdP callback used): the error page offers the way back.
    async reach() {
      const reached = await onMire();
      await reached.citizen.chooseIdp('idp-csrf');
      const callback = await reached.citizen.loginAsUntilCallback('standard');
      await reached.citizen.go(callback);
      await reached.citizen.go(callback);
      expectHubErrorPage(reached.citizen, { origin: citizens.issuer, status: 400, code: 'R4003' });
      return reached;
    },
    form: { containing: '/leave', fields: {} },
    pageOfLogin: CONSENT,
    succeeded: (citizen, state) =>
      expectSpError(citizen.spParams(), {
        error: 'login_required',
        code: 'R4003',
        iss: citizens.issuer,
        state,
      }),
  },
  {
    route: '/email',
    federation: () => agents,
    async reach() {
      const { citizen, request } = await startLogin(agents, PRO_TEST_SP.client_id, {
        scope: 'openid given_name usual_name email uid siret',
        prompt: undefined,
        acr_values: undefined,
      });
      expect(citizen.currentPage().html).toContain(EMAIL_PAGE);
      return { citizen, state: request.state };
    },
    form: { containing: 'class="email-form"', fields: { email: 'camille.dupont@interieur.gouv.fr' } },
    pageOfLogin: EMAIL_PAGE,
    succeeded: (citizen) =>
      expect(citizen.currentPage().url.origin).toBe(agents.idps.get('interieur')?.issuer),
  },
];

/** How the attacker's POST differs from the form: its body, from the form's own fields. */
type Tampering = (fields: URLSearchParams, otherToken: string) => RequestInit;

const urlencoded = (fields: URLSearchParams): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: fields.toString(),
});

const withCsrf = (fields: URLSearchParams, csrf: string | undefined) => {
  const changed = new URLSearchParams(fields);
  if (csrf === undefined) changed.delete('csrf');
  else changed.set('csrf', csrf);
  return changed;
};

const TAMPERINGS: Array<[string, Tampering]> = [
  ['without its CSRF token', (fields) => urlencoded(withCsrf(fields, undefined))],
  ['with an empty CSRF token', (fields) => urlencoded(withCsrf(fields, ''))],
  ['with a forged CSRF token', (fields) => urlencoded(withCsrf(fields, 'A'.repeat(43)))],
  ['with the CSRF token of another login', (fields, other) => urlencoded(withCsrf(fields, other))],
  [
    'as JSON, even with its token',
    (fields) => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Object.fromEntries(fields)),
    }),
  ],
  [
    'as multipart/form-data, even with its token',
    (fields) => {
      const body = new FormData();
      for (const [name, value] of fields) body.append(name, value);
      return { method: 'POST', body };
    },
  ],
  [
    'as text/plain, even with its token',
    (fields) => ({ method: 'POST', headers: { 'content-type': 'text/plain' }, body: fields.toString() }),
  ],
];

/** A valid CSRF token of another login on the same hub: valid, but not for this login. */
async function tokenOfAnotherLogin(step: FormStep): Promise<string> {
  const other = await step.reach();
  const token = hiddenValue(other.citizen.currentPage().html, 'csrf');
  if (!token) throw new Error('no csrf field on the page');
  return token;
}

describe.each(STEPS.map((step) => [step.route, step] as const))('POST /interaction/:uid%s', (_, step) => {
  it.each(TAMPERINGS)(
    'refuses the form %s with the error page (R4004); the login does not move',
    async (_, tamper) => {
      const otherToken = await tokenOfAnotherLogin(step);
      const { citizen, state } = await step.reach();
      const form = citizen.form(step.form.containing, step.form.fields);
      const fields = new URLSearchParams(String(form.init.body));
      expect(fields.get('csrf')).toBeTruthy();
      expect(fields.get('csrf')).not.toBe(otherToken);

      await citizen.go(form.action, tamper(fields, otherToken));
      expectHubErrorPage(citizen, { origin: step.federation().issuer, status: 403, code: 'R4004' });

      // Still where it was: the page of the login, then the form sent right goes through.
      await citizen.go(new URL(`/interaction/${interactionUid(form.action)}`, step.federation().issuer));
      expect(citizen.currentPage().status).toBe(200);
      expect(citizen.currentPage().html).toContain(step.pageOfLogin);
      await citizen.go(form.action, form.init);
      step.succeeded(citizen, state);
    },
  );
});
