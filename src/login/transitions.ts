// The login's transitions, as plain functions over the record (login/record.ts draws the graph).
// Each checks the state it leaves: from any other, the citizen refreshed or went back on a one-shot
// step, replayed a form or a callback, or another tab moved the login on; they get R4003 and the
// way back to the SP, never a silent overwrite.
import { requestedLevel } from '../acr.ts';
import type { ProfileName } from '../config/index.ts';
import { RelaisError } from '../errors.ts';
import type { IdpTransaction } from '../rp/transaction.ts';
import type { CitizenIdentity } from './identity.ts';
import {
  type LoginFailure,
  type LoginIn,
  type LoginRecord,
  type LoginState,
  MAX_IDP_TRANSACTIONS,
  type OpenLogin,
} from './record.ts';

/** The login record's view of the authorization request, as oidc-provider kept it. */
export interface OpenedInteraction {
  uid: string;
  params: Readonly<Record<string, unknown>>;
  /** oidc-provider's session account id: the browser's hub session, if it has one. */
  accountId: string | undefined;
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/** The record /authorize opens; undefined when the request names no SP to go back to. */
export function openLogin(
  { uid, params, accountId }: OpenedInteraction,
  profile: ProfileName = 'franceconnect',
): LoginIn<'created'> | undefined {
  const clientId = text(params['client_id']);
  const redirectUri = text(params['redirect_uri']);
  if (!clientId || !redirectUri) return undefined;
  const optional = (name: string, value: unknown) => (text(value) ? { [name]: text(value) } : {});
  return {
    uid,
    state: 'created',
    wayBack: { clientId, redirectUri, ...optional('state', params['state']) },
    request: {
      // acr_values (optional in ProConnect) and an essential acr in claims: the stronger floor.
      acr: requestedLevel(text(params['acr_values']), text(params['claims'])) ?? 'eidas1',
      scope: text(params['scope']) ?? '',
      ...optional('idpHint', params['idp_hint']),
      ...optional('uiLocales', params['ui_locales']),
      ...optional('claims', params['claims']),
      ...maxAgeOf(params['max_age']),
      ...(profile === 'proconnect'
        ? {
            ...optional('loginHint', params['login_hint']),
            ...optional('siretHint', params['siret_hint']),
            ...optional('prompt', params['prompt']),
          }
        : {}),
    },
    ...optional('citizenSessionId', accountId),
  };
}

function expect<S extends LoginState>(record: LoginRecord, ...states: S[]): LoginIn<S> {
  if ((states as LoginState[]).includes(record.state)) return record as LoginIn<S>;
  throw new RelaisError('R4003', {
    detail: `login is ${record.state}, expected ${states.join(' or ')}`,
    interactionUid: record.uid,
  });
}

const base = ({ uid, wayBack, request, citizenSessionId, email }: OpenLogin) => ({
  uid,
  wayBack,
  request,
  ...(citizenSessionId ? { citizenSessionId } : {}),
  ...(email ? { email } : {}),
});

/** ProConnect: the agent typed (or the SP hinted) the email that routes the login. */
export function withEmail(record: LoginRecord, email: string): LoginIn<'created'> {
  const from = expect(record, 'created', 'at_idp');
  // A new email is a new start: no banner of an earlier IdP.
  return { ...base(from), email, state: 'created' };
}

/**
 * The citizen leaves for an IdP (from the mire, an idp_hint, or back again after the IdP); the
 * earlier departures stay valid (a double submit, back then forward). ProConnect: with the email
 * that routed the agent.
 */
export function leaveForIdp(
  record: LoginRecord,
  transaction: IdpTransaction,
  email?: string,
): LoginIn<'at_idp'> {
  const from = expect(record, 'created', 'at_idp');
  const earlier = from.state === 'at_idp' ? from.transactions : [];
  return {
    ...base(from),
    ...(email ? { email } : {}),
    state: 'at_idp',
    transactions: [...earlier, transaction].slice(-MAX_IDP_TRANSACTIONS),
  };
}

/** The departure this IdP callback answers; R4003 for a state the login never sent (or used). */
export function transactionFor(record: LoginRecord, state: string): IdpTransaction {
  const from = expect(record, 'at_idp');
  const transaction = from.transactions.find((candidate) => candidate.state === state);
  if (!transaction) {
    throw new RelaisError('R4003', { detail: 'unknown or already used state', interactionUid: record.uid });
  }
  return transaction;
}

/** The IdP failed or is down: back to the mire, with a banner naming it. */
export function idpFailed(record: LoginRecord, failure: LoginFailure): LoginIn<'created'> {
  return { ...base(expect(record, 'created', 'at_idp')), state: 'created', failure };
}

/** A verified, valid identity (from the IdP's callback, or the hub session's SSO) awaits consent. */
export function identify(record: LoginRecord, identity: CitizenIdentity): LoginIn<'identified'> {
  return { ...base(expect(record, 'created', 'at_idp')), state: 'identified', identity };
}

/** The login a consent may be given for: its identity waits for it. */
export function awaitingConsent(record: LoginRecord): LoginIn<'identified'> {
  return expect(record, 'identified');
}

/** Consent given: the SP gets its code; nothing of the login is left but the way back. */
export function consent(record: LoginRecord): LoginIn<'done'> {
  const { uid, wayBack } = expect(record, 'identified');
  return { uid, wayBack, state: 'done' };
}

/** The login ends with an error for the SP (cancelled, refused, unusable IdP…). */
export function fail(record: LoginRecord, failure: LoginFailure): LoginIn<'failed'> {
  const { uid, wayBack } = expect(record, 'created', 'at_idp', 'identified');
  return { uid, wayBack, state: 'failed', failure };
}

/** The error a citizen leaving the mire sends the SP: what failed there, or that they cancelled. */
export function cancellation(record: LoginRecord): LoginFailure {
  const from = expect(record, 'created', 'at_idp', 'identified');
  return from.state === 'created' && from.failure ? from.failure : { code: 'R4001' };
}

const OPEN: readonly LoginState[] = ['created', 'at_idp', 'identified'];

/** Under way: not yet done nor failed. */
export const isOpen = (record: LoginRecord): record is OpenLogin => OPEN.includes(record.state);

/** A login still under way, or R4003 (done or failed: refresh or back after its end). */
export function stillOpen(record: LoginRecord): OpenLogin {
  return expect(record, 'created', 'at_idp', 'identified');
}

/** max_age as oidc-provider checked it (a non-negative integer, sent as a string or a number). */
function maxAgeOf(value: unknown): { maxAge?: number } {
  const maxAge = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isSafeInteger(maxAge) && maxAge >= 0 ? { maxAge } : {};
}
