// Every transition of the login record, from every state it may leave and from every state it may
// not (the wrong ones end in R4003 with the way back, never an overwrite).
import { describe, expect, it } from 'vitest';
import { RelaisError } from '../../../src/errors.ts';
import type { CitizenIdentity } from '../../../src/login/identity.ts';
import {
  LOGIN_STATES,
  type LoginRecord,
  type LoginState,
  loginRecordSchema,
} from '../../../src/login/record.ts';
import {
  awaitingConsent,
  cancellation,
  consent,
  fail,
  identify,
  idpFailed,
  isOpen,
  leaveForIdp,
  openLogin,
  stillOpen,
  transactionFor,
  withEmail,
} from '../../../src/login/transitions.ts';
import type { IdpTransaction } from '../../../src/rp/transaction.ts';

const identity: CitizenIdentity = {
  idpUid: 'idp-a',
  acr: 'eidas1',
  amr: ['pwd'],
  authTime: 1_800_000_000,
  identityKey: 'v1:fictitious',
  claims: { given_name: 'Camille', family_name: 'Martin' },
  idpIdToken: 'header.payload.signature',
};

const transaction = (state: string, idpUid = 'idp-a'): IdpTransaction => ({
  state,
  idpUid,
  nonce: 'n'.repeat(43),
  codeVerifier: 'v'.repeat(43),
  requiredAcr: 'eidas1',
  browserBinding: 'b'.repeat(43),
});

function opened(): LoginRecord {
  const record = openLogin({
    uid: 'uid1',
    params: {
      client_id: 'sp-a',
      redirect_uri: 'https://sp.example/cb',
      state: 'sp-state',
      scope: 'openid identite_pivot',
      acr_values: 'eidas2 eidas1',
      ui_locales: 'en',
    },
    accountId: undefined,
  });
  if (!record) throw new Error('no record');
  return record;
}

/** The record in each state, reached by the transitions themselves. */
function inState(state: LoginState): LoginRecord {
  const created = opened();
  switch (state) {
    case 'created':
      return created;
    case 'at_idp':
      return leaveForIdp(created, transaction('uid1.a'));
    case 'identified':
      return identify(leaveForIdp(created, transaction('uid1.a')), identity);
    case 'done':
      return consent(identify(created, identity));
    case 'failed':
      return fail(created, { code: 'R4001' });
  }
}

/** The transition refuses the state with R4003, naming the login so its page offers the way back. */
function expectRefused(transition: () => unknown, state: LoginState) {
  let caught: unknown;
  try {
    transition();
  } catch (error) {
    caught = error;
  }
  expect(caught, `from ${state}`).toBeInstanceOf(RelaisError);
  const error = caught as RelaisError;
  expect(error.code).toBe('R4003');
  expect(error.interactionUid).toBe('uid1');
}

/** For a transition: the states it may leave; every other state must be refused. */
function eachState(
  allowed: LoginState[],
  check: (record: LoginRecord) => unknown,
  attempt: (record: LoginRecord) => unknown,
) {
  for (const state of LOGIN_STATES) {
    const record = inState(state);
    if (allowed.includes(state)) check(record);
    else expectRefused(() => attempt(record), state);
  }
}

describe('opening a login', () => {
  it('keeps the way back, the level needed and what the pages need of the request', () => {
    expect(opened()).toEqual({
      uid: 'uid1',
      state: 'created',
      wayBack: { clientId: 'sp-a', redirectUri: 'https://sp.example/cb', state: 'sp-state' },
      request: { acr: 'eidas1', scope: 'openid identite_pivot', uiLocales: 'en' },
    });
  });

  it('keeps the browser hub session as an SSO candidate, and no empty value', () => {
    const record = openLogin({
      uid: 'u',
      params: { client_id: 'sp-a', redirect_uri: 'https://sp.example/cb', state: '', idp_hint: 'idp-b' },
      accountId: 'session-1',
    });
    expect(record?.citizenSessionId).toBe('session-1');
    expect(record?.wayBack).toEqual({ clientId: 'sp-a', redirectUri: 'https://sp.example/cb' });
    expect(record?.request.idpHint).toBe('idp-b');
  });

  it('opens nothing without a client or a redirect URI to go back to', () => {
    expect(openLogin({ uid: 'u', params: { client_id: 'sp-a' }, accountId: undefined })).toBeUndefined();
    expect(
      openLogin({ uid: 'u', params: { redirect_uri: 'https://x/' }, accountId: undefined }),
    ).toBeUndefined();
  });

  it('every state reached by the transitions fits the stored schema', () => {
    for (const state of LOGIN_STATES) expect(loginRecordSchema.parse(inState(state)).state).toBe(state);
  });
});

describe('leaving for an IdP', () => {
  it('from created or at_idp: at_idp, the last few departures kept (back, then choose again)', () => {
    eachState(
      ['created', 'at_idp'],
      (record) => {
        const next = leaveForIdp(record, transaction('uid1.b', 'idp-b'));
        expect(next.state).toBe('at_idp');
        expect(next.transactions.at(-1)?.idpUid).toBe('idp-b');
      },
      (record) => leaveForIdp(record, transaction('uid1.b')),
    );
    let record: LoginRecord = opened();
    for (const state of ['uid1.1', 'uid1.2', 'uid1.3', 'uid1.4'])
      record = leaveForIdp(record, transaction(state));
    expect(record.state === 'at_idp' && record.transactions.map((tx) => tx.state)).toEqual([
      'uid1.2',
      'uid1.3',
      'uid1.4',
    ]);
  });

  it('drops the banner of an earlier failure', () => {
    const failed = idpFailed(inState('at_idp'), { code: 'R2002', idpUid: 'idp-a' });
    expect(leaveForIdp(failed, transaction('uid1.c'))).not.toHaveProperty('failure');
  });
});

describe('the IdP callback', () => {
  it('finds the departure its state answers, only at_idp', () => {
    eachState(
      ['at_idp'],
      (record) => expect(transactionFor(record, 'uid1.a').idpUid).toBe('idp-a'),
      (record) => transactionFor(record, 'uid1.a'),
    );
  });

  it('refuses a state the login never sent', () => {
    expectRefused(() => transactionFor(inState('at_idp'), 'uid1.forged'), 'at_idp');
  });

  it('identifies the citizen from created (SSO) or at_idp; the departures are gone', () => {
    eachState(
      ['created', 'at_idp'],
      (record) => {
        const next = identify(record, identity);
        expect(next).toMatchObject({ state: 'identified', identity });
        expect(next).not.toHaveProperty('transactions');
      },
      (record) => identify(record, identity),
    );
  });

  it('an IdP failure brings the login back to the mire with its banner, from created or at_idp', () => {
    eachState(
      ['created', 'at_idp'],
      (record) =>
        expect(idpFailed(record, { code: 'R2001', idpUid: 'idp-a' })).toMatchObject({
          state: 'created',
          failure: { code: 'R2001', idpUid: 'idp-a' },
        }),
      (record) => idpFailed(record, { code: 'R2001' }),
    );
  });
});

describe('consent', () => {
  it('is given for the identity waiting, only when identified', () => {
    eachState(
      ['identified'],
      (record) => {
        expect(awaitingConsent(record).identity).toEqual(identity);
        // Nothing of the citizen nor of the request is left: only the way back.
        expect(consent(record)).toEqual({ uid: 'uid1', state: 'done', wayBack: record.wayBack });
      },
      (record) => consent(record),
    );
    eachState(['identified'], () => {}, awaitingConsent);
  });

  it('a second consent on a done login is refused (one code per login)', () => {
    expectRefused(() => consent(consent(inState('identified'))), 'done');
  });
});

describe('ending with an error', () => {
  it('fails to the SP from any state before done, keeping the way back', () => {
    eachState(
      ['created', 'at_idp', 'identified'],
      (record) =>
        expect(fail(record, { code: 'R4002' })).toEqual({
          uid: 'uid1',
          state: 'failed',
          failure: { code: 'R4002' },
          wayBack: record.wayBack,
        }),
      (record) => fail(record, { code: 'R4002' }),
    );
  });

  it('a cancel after an IdP failure tells the SP what failed; otherwise that the citizen left', () => {
    expect(cancellation(inState('created'))).toEqual({ code: 'R4001' });
    expect(cancellation(inState('at_idp'))).toEqual({ code: 'R4001' });
    const failed = idpFailed(inState('at_idp'), { code: 'R2004', idpUid: 'idp-a', detail: 'acr' });
    expect(cancellation(failed)).toEqual({ code: 'R2004', idpUid: 'idp-a', detail: 'acr' });
    eachState(['created', 'at_idp', 'identified'], () => {}, cancellation);
  });

  it('a finished login has no page left: done and failed are refused', () => {
    eachState(
      ['created', 'at_idp', 'identified'],
      (record) => expect(stillOpen(record)).toBe(record),
      stillOpen,
    );
    for (const state of LOGIN_STATES) {
      expect(isOpen(inState(state)), state).toBe(state !== 'done' && state !== 'failed');
    }
  });
});

describe('ProConnect', () => {
  const params = {
    client_id: 'sp-a',
    redirect_uri: 'https://sp.example/cb',
    scope: 'openid email siret',
    login_hint: 'camille.dupont@interieur.gouv.fr',
    siret_hint: '91742035800017',
    prompt: 'login',
    claims: JSON.stringify({ id_token: { acr: { essential: true, value: 'eidas2' } } }),
  };

  it('opens a login with the hints and prompt, its level from claims, eidas1 by default', () => {
    const record = openLogin({ uid: 'uid2', params, accountId: undefined }, 'proconnect');
    expect(record?.request).toMatchObject({
      acr: 'eidas2',
      loginHint: 'camille.dupont@interieur.gouv.fr',
      siretHint: '91742035800017',
      prompt: 'login',
    });
    const plain = openLogin(
      { uid: 'uid3', params: { ...params, claims: undefined }, accountId: undefined },
      'proconnect',
    );
    expect(plain?.request.acr).toBe('eidas1');
    // FranceConnect keeps none of ProConnect's parameters.
    const franceconnect = openLogin({
      uid: 'uid4',
      params: { ...params, acr_values: 'eidas1' },
      accountId: undefined,
    });
    expect(franceconnect?.request).not.toHaveProperty('loginHint');
    // Its essential acr in claims counts there too: the stronger of it and acr_values.
    expect(franceconnect?.request.acr).toBe('eidas2');
    const fcPlain = openLogin({
      uid: 'uid5',
      params: { ...params, acr_values: 'eidas1', claims: undefined },
      accountId: undefined,
    });
    expect(fcPlain?.request.acr).toBe('eidas1');
  });

  it('keeps the email through a departure and a failure, and a new email starts afresh', () => {
    const routed = withEmail(opened(), 'a@interieur.gouv.fr');
    const away = leaveForIdp(routed, transaction('uid1.a'));
    expect(away.email).toBe('a@interieur.gouv.fr');
    const failed = idpFailed(away, { code: 'R2002', idpUid: 'idp-a' });
    expect(failed.email).toBe('a@interieur.gouv.fr');
    const again = withEmail(failed, 'b@culture.gouv.fr');
    expect(again).toMatchObject({ state: 'created', email: 'b@culture.gouv.fr' });
    expect(again).not.toHaveProperty('failure');
    expect(loginRecordSchema.parse(again)).toEqual(again);
  });

  it.each(['identified', 'done', 'failed'] as const)('refuses an email once the login is %s', (state) => {
    expectRefused(() => withEmail(inState(state), 'a@interieur.gouv.fr'), state);
  });
});
