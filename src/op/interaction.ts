// The hub's side of oidc-provider interactions: read one, end it with an error, or end it with
// the citizen's login and consent in one result (one redirect, not two).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { RelaisError } from '../errors.ts';
import type { Vault } from '../store/vault.ts';
import { type GrantIdentity, grantIdentityKey } from './account.ts';
import { claimsParameterNames, SCOPE_CLAIMS, splitScope } from './scopes.ts';

/** The part of oidc-provider's Interaction the hub writes back. */
interface InteractionRecord {
  exp: number;
  returnTo: string;
  result?: unknown;
  save(ttl: number): Promise<unknown>;
}

export interface InteractionView {
  uid: string;
  clientId: string;
  params: Readonly<Record<string, string | undefined>>;
  /** The citizen session this browser already has at the hub, if any (SSO). */
  citizenSessionId: string | undefined;
  /** The interaction as read for this request: ending it needs no second read. */
  record?: InteractionRecord;
}

/** The interaction this browser holds (its cookie), or R4003: expired, used, or not this browser's. */
export async function readInteraction(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
): Promise<InteractionView> {
  let details: Awaited<ReturnType<Provider['interactionDetails']>>;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (cause) {
    // Expired, used, or not this browser's; a store outage is not the citizen's session expiring.
    if (!(cause instanceof errors.SessionNotFound)) throw cause;
    throw new RelaisError('R4003', { cause, interactionUid: uid });
  }
  if (details.uid !== uid || details.result) {
    throw new RelaisError('R4003', { detail: 'interaction mismatch', interactionUid: uid });
  }
  const params = details.params as Record<string, string | undefined>;
  return {
    uid,
    clientId: String(params.client_id),
    params,
    citizenSessionId: details.session?.accountId,
    record: details as unknown as InteractionRecord,
  };
}

/** Ends the interaction with an OAuth error for the SP; returns where to send the browser. */
export async function finishWithError(provider: Provider, uid: string, error: RelaisError): Promise<string> {
  const interaction = await provider.Interaction.find(uid);
  if (!interaction) throw new RelaisError('R4003', { detail: 'interaction not found', cause: error });
  interaction.result = { error: error.entry.oauth, error_description: error.description };
  await saveInteraction(interaction);
  return interaction.returnTo;
}

/** Saved for what is left of its life, at least a second (the last second must not fail). */
function saveInteraction(interaction: { exp: number; save(ttl: number): Promise<unknown> }) {
  return interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
}

export interface CitizenLogin {
  /** The hub's citizen session: oidc-provider's account id, the same for every SP of an SSO. */
  citizenSessionId: string;
  /** This SP's sector-specific sub. */
  sub: string;
  acr: string;
  amr: string[] | undefined;
  authTime: number;
  /** The released claims (see releasedClaims), as the IdP sent them once valid. */
  claims: Record<string, string>;
}

/** Consent given: a grant for the scopes asked, the identity sealed for it, login + consent at once. */
export async function finishWithConsent(
  provider: Provider,
  vault: Vault,
  view: InteractionView,
  login: CitizenLogin,
  grantTtl: number,
  /** The caller's write that the result must not precede (the hub session), started with the grant's. */
  alongside: () => Promise<unknown> = async () => {},
): Promise<string> {
  // expiresIn: this grant's lifetime, known here (oidc-provider's ttl hook has no request context).
  // The id is chosen here (as oidc-provider would: 256 random bits) so that the grant and the
  // identity sealed for it are written together, in one round trip.
  const grantId = randomBytes(32).toString('base64url');
  const grant = new provider.Grant({
    jti: grantId,
    accountId: login.citizenSessionId,
    clientId: view.clientId,
    expiresIn: grantTtl,
  } as ConstructorParameters<typeof provider.Grant>[0]);
  grant.addOIDCScope(
    splitScope(view.params.scope)
      .filter((scope) => scope in SCOPE_CLAIMS)
      .join(' '),
  );
  const requestedClaims = claimsParameterNames(view.params.claims);
  if (requestedClaims.length) grant.addOIDCClaims(requestedClaims);
  // Only what the consent page listed is kept for the grant: nothing else can be released.
  const identity: GrantIdentity = { sub: login.sub, claims: login.claims };
  const interaction = view.record ?? (await provider.Interaction.find(view.uid));
  if (!interaction) throw new RelaisError('R4003', { detail: 'interaction not found' });
  interaction.result = {
    login: {
      accountId: login.citizenSessionId,
      acr: login.acr,
      ...(login.amr ? { amr: login.amr } : {}),
      ts: login.authTime,
    },
    consent: { grantId },
  };
  // The interaction's result last: it never names a grant that is not there.
  await Promise.all([grant.save(), vault.put(grantIdentityKey(grantId), identity, grantTtl), alongside()]);
  await saveInteraction(interaction);
  return interaction.returnTo;
}
