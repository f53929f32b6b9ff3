// The hub's side of oidc-provider interactions: whether this browser holds one, and ending it with
// an error or with the citizen's login and consent in one result (one redirect, not two). The
// login flow sees them through `Interactions`, never oidc-provider itself.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Interaction } from 'oidc-provider';
import { splitScope } from '../config/federation.ts';
import { RelaisError } from '../errors.ts';
import { claimsParameterNames, type KnownScope } from './scopes.ts';

/**
 * Whether this browser holds the interaction: the signed cookie oidc-provider set at /authorize
 * (path /interaction/<uid>) names it. Checked without a store read; the login record says the rest.
 */
function interactionHeldBy(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
): boolean {
  const cookies = provider.createContext(req, res).cookies;
  return cookies.get(provider.cookieName('interaction'), { signed: true }) === uid;
}

/** The open interaction, or R4003: expired, used, or already given a result. */
async function openInteraction(provider: Provider, uid: string): Promise<Interaction> {
  const interaction = await provider.Interaction.find(uid);
  if (!interaction || interaction.result) {
    throw new RelaisError('R4003', { detail: 'interaction not found', interactionUid: uid });
  }
  return interaction;
}

/** Ends the interaction with an OAuth error for the SP; returns where to send the browser. */
async function finishWithError(provider: Provider, uid: string, error: RelaisError): Promise<string> {
  const interaction = await provider.Interaction.find(uid);
  if (!interaction) throw new RelaisError('R4003', { detail: 'interaction not found', cause: error });
  interaction.result = { error: error.entry.oauth, error_description: error.description };
  await saveInteraction(interaction);
  return interaction.returnTo;
}

/** Saved for what is left of its life, at least a second (the last second must not fail). */
function saveInteraction(interaction: Interaction) {
  return interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
}

/** oidc-provider's interaction, open: what the consent ends (opaque outside op/). */
export type OpenInteraction = Interaction;

export interface Interactions {
  heldBy(req: IncomingMessage, res: ServerResponse, uid: string): boolean;
  open(uid: string): Promise<OpenInteraction>;
  finishWithError(uid: string, error: RelaisError): Promise<string>;
  finishWithConsent(
    interaction: OpenInteraction,
    login: CitizenLogin,
    grantTtl: number,
    alongside: (grantId: string) => Array<Promise<unknown>>,
  ): Promise<string>;
}

/** The interactions of this provider (the current one, across key rotations). */
export function interactionsOf(provider: Provider, knownScope: KnownScope): Interactions {
  return {
    heldBy: (req, res, uid) => interactionHeldBy(provider, req, res, uid),
    open: (uid) => openInteraction(provider, uid),
    finishWithError: (uid, error) => finishWithError(provider, uid, error),
    finishWithConsent: (interaction, login, grantTtl, alongside) =>
      finishWithConsent(provider, knownScope, interaction, login, grantTtl, alongside),
  };
}

export interface CitizenLogin {
  /** The hub's citizen session: oidc-provider's account id, the same for every SP of an SSO. */
  citizenSessionId: string;
  acr: string;
  amr?: string[] | undefined;
  authTime: number;
}

/**
 * Consent given: a grant for the scopes asked, then the interaction's result naming it (login and
 * consent at once). `alongside(grantId)`: the caller's writes that must be there before the
 * result (the identity sealed for the grant, the hub session), sent with the grant's.
 */
async function finishWithConsent(
  provider: Provider,
  knownScope: KnownScope,
  interaction: Interaction,
  login: CitizenLogin,
  grantTtl: number,
  alongside: (grantId: string) => Array<Promise<unknown>>,
): Promise<string> {
  const params = interaction.params as Record<string, unknown>;
  const grant = grantFor(provider, knownScope, {
    accountId: login.citizenSessionId,
    clientId: String(params['client_id']),
    params,
    ttl: grantTtl,
  });
  const grantId = grant.jti;
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
  await Promise.all([grant.save(), ...alongside(grantId)]);
  await saveInteraction(interaction);
  return interaction.returnTo;
}

/**
 * A grant for the scopes (of the profile) and claims an authorization request asks. Its id is
 * chosen here (as oidc-provider would: 256 random bits) so that the grant and what the caller keeps
 * for it are written together, in one round trip; expiresIn is this grant's lifetime, known here
 * (oidc-provider's ttl hook has no request context).
 */
export function grantFor(
  provider: Provider,
  knownScope: KnownScope,
  request: { accountId: string; clientId: string; params: Readonly<Record<string, unknown>>; ttl: number },
): InstanceType<Provider['Grant']> & { jti: string } {
  const jti = randomBytes(32).toString('base64url');
  const grant = new provider.Grant({
    jti,
    accountId: request.accountId,
    clientId: request.clientId,
    expiresIn: request.ttl,
  } as ConstructorParameters<typeof provider.Grant>[0]);
  const scope = request.params['scope'];
  grant.addOIDCScope(
    splitScope(typeof scope === 'string' ? scope : undefined)
      .filter(knownScope)
      .join(' '),
  );
  const claims = request.params['claims'];
  const requestedClaims = claimsParameterNames(typeof claims === 'string' ? claims : undefined);
  if (requestedClaims.length) grant.addOIDCClaims(requestedClaims);
  return Object.assign(grant, { jti });
}
