// One login, one record: keyed by the interaction uid, sealed as a whole, read once and written
// once per hop. Its state says where the citizen stands; nothing is inferred from which keys exist.
//
//   created ─choose IdP─▶ at_idp ─callback ok─▶ identified ─consent─▶ done (code issued)
//      │ ▲                  │  └─IdP error/outage─▶ created (mire again, with a banner)
//      │ └─SSO: identified ─┘
//      └─leave/cancel/refuse (any state before done)─────────────────▶ failed (error to the SP)
//
// A transition from the wrong state is an error with its code (login/transitions.ts), never a
// silent overwrite; two writers from one read cannot both win (Slot.swap).
import { z } from 'zod';
import { acrSchema } from '../acr.ts';
import { type ErrorCode, isErrorCode } from '../errors.ts';
import { INTERACTION_TTL } from '../op/provider.ts';
import { idpTransactionSchema } from '../rp/transaction.ts';
import type { SlotSpec } from '../store/slot.ts';
import { citizenIdentitySchema } from './identity.ts';

export const LOGIN_STATES = ['created', 'at_idp', 'identified', 'done', 'failed'] as const;
export type LoginState = (typeof LOGIN_STATES)[number];

/** The SP's way back, trusted once oidc-provider opened the interaction: errors go there. */
const wayBackSchema = z.object({
  clientId: z.string(),
  redirectUri: z.string(),
  state: z.string().optional(),
});
export type WayBack = z.infer<typeof wayBackSchema>;

/** What the hub's pages need of the SP's request. */
const requestSchema = z.object({
  /** The weakest level of acr_values: what the citizen must at least reach. */
  acr: acrSchema,
  idpHint: z.string().optional(),
  /** ProConnect: the SP's login_hint (an email skips the email page), siret_hint, prompt. */
  loginHint: z.string().optional(),
  siretHint: z.string().optional(),
  prompt: z.string().optional(),
  uiLocales: z.string().optional(),
  scope: z.string(),
  claims: z.string().optional(),
  /** The SP's max_age, in seconds: an SSO may not stand for an authentication older than it. */
  maxAge: z.number().int().nonnegative().optional(),
});

const errorCodeSchema = z.custom<ErrorCode>((code) => typeof code === 'string' && isErrorCode(code));

/** What failed: the mire's banner (state created), or the error the SP receives (state failed). */
const failureSchema = z.object({
  code: errorCodeSchema,
  idpUid: z.string().optional(),
  detail: z.string().optional(),
});
export type LoginFailure = z.infer<typeof failureSchema>;

/** What an open login keeps; a finished one keeps only its way back (refresh, back, leave). */
const ended = { uid: z.string(), wayBack: wayBackSchema };
const common = {
  ...ended,
  request: requestSchema,
  /** The browser's hub session when /authorize opened the login (a candidate for SSO). */
  citizenSessionId: z.string().optional(),
  /** ProConnect: the agent's professional email, which routed the login (sent as login_hint). */
  email: z.string().optional(),
};

/** A citizen may go back and choose again: the last few departures to an IdP stay valid. */
export const MAX_IDP_TRANSACTIONS = 3;

export const loginRecordSchema = z.discriminatedUnion('state', [
  z.object({ ...common, state: z.literal('created'), failure: failureSchema.optional() }),
  z.object({
    ...common,
    state: z.literal('at_idp'),
    transactions: z.array(idpTransactionSchema).min(1).max(MAX_IDP_TRANSACTIONS),
  }),
  z.object({ ...common, state: z.literal('identified'), identity: citizenIdentitySchema }),
  z.object({ ...ended, state: z.literal('done') }),
  z.object({ ...ended, state: z.literal('failed'), failure: failureSchema }),
]);
export type LoginRecord = z.infer<typeof loginRecordSchema>;
export type LoginIn<S extends LoginState> = Extract<LoginRecord, { state: S }>;
/** A login still under way: it has a request, and perhaps a hub session to reuse. */
export type OpenLogin = LoginIn<'created' | 'at_idp' | 'identified'>;

/**
 * Lives as long as oidc-provider's interaction, and is written with it. Sealed while the login is
 * open; once done or failed it holds only the SP's way back (and the error code), kept plain and
 * small, as long as the citizen may still come back to a page of it.
 */
export const LOGIN_SLOT: SlotSpec<LoginRecord> = {
  prefix: 'login',
  schema: loginRecordSchema,
  ttl: () => INTERACTION_TTL,
  sealed: (record) => record.state !== 'done' && record.state !== 'failed',
};
