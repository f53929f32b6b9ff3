// The hub's side of oidc-provider interactions: read one, end it with an error, or end it with
// the citizen's login and consent in one result (one redirect, not two).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { RelaisError } from '../errors.ts';
import type { Vault } from '../store/vault.ts';
import { type GrantIdentity, grantIdentityKey } from './account.ts';
import { GRANT_TTL } from './provider.ts';
import { SCOPE_CLAIMS, splitScope } from './scopes.ts';

export interface InteractionView {
  uid: string;
  clientId: string;
  params: Readonly<Record<string, string | undefined>>;
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
    throw new RelaisError('R4003', { cause });
  }
  if (details.uid !== uid || details.result)
    throw new RelaisError('R4003', { detail: 'interaction mismatch' });
  const params = details.params as Record<string, string | undefined>;
  return { uid, clientId: String(params.client_id), params };
}

/** Ends the interaction with an OAuth error for the SP; returns where to send the browser. */
export async function finishWithError(provider: Provider, uid: string, error: RelaisError): Promise<string> {
  const interaction = await provider.Interaction.find(uid);
  if (!interaction) throw new RelaisError('R4003', { detail: 'interaction not found', cause: error });
  interaction.result = { error: error.entry.oauth, error_description: error.description };
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  return interaction.returnTo;
}

export interface CitizenLogin {
  sub: string;
  acr: string;
  amr: string[] | undefined;
  authTime: number;
  /** Claims the SP may receive, as the IdP sent them once valid. */
  claims: Record<string, string>;
}

/** Consent given: a grant for the scopes asked, the identity sealed for it, login + consent at once. */
export async function finishWithConsent(
  provider: Provider,
  vault: Vault,
  view: InteractionView,
  login: CitizenLogin,
): Promise<string> {
  const grant = new provider.Grant({ accountId: login.sub, clientId: view.clientId });
  grant.addOIDCScope(
    splitScope(view.params.scope)
      .filter((scope) => scope in SCOPE_CLAIMS)
      .join(' '),
  );
  const requestedClaims = claimsParameterNames(view.params.claims);
  if (requestedClaims.length) grant.addOIDCClaims(requestedClaims);
  const grantId = await grant.save();
  const identity: GrantIdentity = { claims: login.claims };
  await vault.put(grantIdentityKey(grantId), identity, GRANT_TTL);
  const interaction = await provider.Interaction.find(view.uid);
  if (!interaction) throw new RelaisError('R4003', { detail: 'interaction not found' });
  interaction.result = {
    login: {
      accountId: login.sub,
      acr: login.acr,
      ...(login.amr ? { amr: login.amr } : {}),
      ts: login.authTime,
    },
    consent: { grantId },
  };
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  return interaction.returnTo;
}

/** Claim names of an OIDC `claims` parameter; what is released is still filtered by the SP's scopes. */
function claimsParameterNames(claims: string | undefined): string[] {
  if (!claims) return [];
  try {
    const parsed = JSON.parse(claims) as Record<string, Record<string, unknown> | null>;
    return [...new Set([...Object.keys(parsed.userinfo ?? {}), ...Object.keys(parsed.id_token ?? {})])];
  } catch {
    return [];
  }
}
