// The citizen's journey, hop by hop: each reads the login record once, applies one transition
// (login/transitions.ts) and writes the record once, then tells http/ what to show or where to go.
// oidc-provider stays behind op/, openid-client behind rp/; nothing here knows about HTTP.
import { randomBytes } from 'node:crypto';
import { acrRank, canDeliver, requestedLevel } from '../acr.ts';
import { type IdentityProvider, type ServiceProvider, splitScope } from '../config/federation.ts';
import type { ProfileName } from '../config/index.ts';
import { RelaisError } from '../errors.ts';
import { type Events, hashId } from '../observability/events.ts';
import type { GrantIdentity } from '../op/account.ts';
import { grantTypesOf } from '../op/clients.ts';
import type { Interactions, OpenInteraction } from '../op/interaction.ts';
import { grantTtlFor } from '../op/provider.ts';
import { releasedClaims, type ScopeClaims } from '../op/scopes.ts';
import type { SessionLifetime } from '../op/session-lifetime.ts';
import { deriveSub } from '../pivot/index.ts';
import { emailDomain, normaliseEmail } from '../pro/identity.ts';
import { routeEmail } from '../pro/routing.ts';
import { COMMON_EMAIL_DOMAINS, suggestDomain } from '../pro/typo.ts';
import { buildIdpAuthorizationUrl } from '../rp/authorize.ts';
import type { Availability } from '../rp/availability.ts';
import { authenticateAtIdp, type IdpAuthentication } from '../rp/callback.ts';
import type { IdpClients } from '../rp/identity-providers.ts';
import type { Reachable } from '../rp/reachable.ts';
import { boundToBrowser } from '../rp/transaction.ts';
import type { Registry } from '../store/registry-cache.ts';
import type { Slot, Stored } from '../store/slot.ts';
import {
  authenticatedWithin,
  canReuse,
  type HubSession,
  type HubSessions,
  hubSessionFor,
  keepHubSession,
  loadHubSession,
  logsOutAtIdp,
  sessionEndsAt,
  withParticipant,
} from './hub-session.ts';
import { type CitizenIdentity, identityFingerprint, toAgentIdentity, toCitizenIdentity } from './identity.ts';
import { type MireEntry, mireEntries, unavailableReason } from './mire.ts';
import type { LoginFailure, LoginIn, LoginRecord, OpenLogin } from './record.ts';
import type { SessionEnds } from './session-ends.ts';
import {
  awaitingConsent,
  cancellation,
  consent,
  fail,
  identify,
  idpFailed,
  isOpen,
  leaveForIdp,
  stillOpen,
  transactionFor,
  withEmail,
} from './transitions.ts';
import { errorRedirect } from './way-back.ts';

export interface LoginDependencies {
  issuer: string;
  /** FranceConnect: the mire and the consent page; ProConnect: the email page, no consent page. */
  profile: ProfileName;
  /** The profile's scopes and the claims they release. */
  scopeClaims: ScopeClaims;
  /** Seconds an access token lives: a grant outlives it (op/provider.ts grantTtlFor). */
  accessTokenTtl?: number | undefined;
  /** oidc-provider's interactions, which a login ends (op/interaction.ts). */
  interactions: Interactions;
  registry: Registry;
  logins: Slot<LoginRecord>;
  hubSessions: HubSessions;
  grantIdentities: Slot<GrantIdentity>;
  idpClients: IdpClients;
  availability: Availability;
  /** Whether the IdP's login page takes a connection now (rp/reachable.ts); absent = not checked. */
  reachable?: Reachable | undefined;
  callbackUrl: string;
  subSecret: string;
  /** Lifetime of the hub session (SSO between SPs). */
  session: SessionLifetime;
  /** Where each consent files the session's end and the SP's sub (expiry notices, revocation). */
  sessionEnds?: SessionEnds | undefined;
  /** Business events: one per step. */
  events: Events;
  /** What the logs learn of a failure: its code and detail, never a claim. */
  log(message: string, error: RelaisError): void;
}

/** What http/ does next: show a page of the login, or send the browser on. */
export type Step =
  | { page: 'mire'; login: OpenLogin; sp: ServiceProvider; entries: MireEntry[]; banner?: Banner }
  | {
      page: 'email';
      login: OpenLogin;
      sp: ServiceProvider;
      email?: string | undefined;
      /** A likely typo's correction of the email's domain, offered. */
      suggestion?: string | undefined;
      problem?: EmailProblem | undefined;
      /** Several IdPs answer for the email's domain: the agent picks. */
      choices?: MireEntry[] | undefined;
      banner?: Banner | undefined;
    }
  | { page: 'consent'; login: OpenLogin; sp: ServiceProvider; consent: ConsentView }
  | { redirect: string; bindIdpState?: { state: string; binding: string } };

/** Why the email page shows again: each says what to do, and offers the way back. */
export type EmailProblem = 'invalid' | 'no_route' | 'public_only';

export interface Banner {
  idpName: string;
  code: string;
}

export interface ConsentView {
  identity: CitizenIdentity;
  /** What the SP will receive, among what the identity holds. */
  claims: string[];
  /** The data providers the SP may then call about the citizen, and for what (their scopes asked). */
  dataProviders: Array<{ name: string; scopes: string[] }>;
  fingerprint: string;
  /** FranceConnect: a private SP needs the citizen's explicit consent, a public one informs. */
  requireAgreement: boolean;
  agreementMissing: boolean;
}

// ---- reading and writing the record ---------------------------------------------------------

async function readLogin(deps: LoginDependencies, uid: string): Promise<Stored<LoginRecord>> {
  const stored = await deps.logins.read(uid);
  if (!stored) throw new RelaisError('R4003', { detail: 'no such login', interactionUid: uid });
  return stored;
}

/**
 * Writes `transition(record)` over the record as read; when another request moved the login on
 * meanwhile, applies the transition again to what it wrote (which may refuse it), a few times.
 */
async function write<R extends LoginRecord>(
  deps: LoginDependencies,
  stored: Stored<LoginRecord>,
  transition: (record: LoginRecord) => R,
): Promise<R> {
  let current = stored;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const next = transition(current.value);
    if (await deps.logins.swap(next.uid, current, next)) return next;
    current = await readLogin(deps, next.uid);
  }
  throw new RelaisError('R4003', { detail: 'login changed concurrently', interactionUid: stored.value.uid });
}

function serviceProviderOf(deps: LoginDependencies, login: LoginRecord): ServiceProvider {
  const sp = deps.registry.serviceProvider(login.wayBack.clientId);
  if (!sp) throw new RelaisError('R1001', { interactionUid: login.uid });
  return sp;
}

/** The IdP the login went to last, for its events. */
function idpOf(login: LoginRecord): string | undefined {
  if (login.state === 'at_idp') return login.transactions.at(-1)?.idpUid;
  if (login.state === 'identified') return login.identity.idpUid;
  if (login.state === 'created' || login.state === 'failed') return login.failure?.idpUid;
  return undefined;
}

// ---- the IdP's state names its login -------------------------------------------------------

/** The IdP state: the login's uid and 256 random bits, so the callback reads one record. */
export const idpStateFor = (uid: string) => `${uid}.${randomBytes(32).toString('base64url')}`;

/** The login an IdP state belongs to; undefined for a state the hub never made. */
export function loginOfIdpState(state: string | null): string | undefined {
  const uid = state && state.length <= 256 ? state.slice(0, Math.max(0, state.lastIndexOf('.'))) : '';
  return /^[\w-]{1,64}$/.test(uid) ? uid : undefined;
}

// ---- the hops -------------------------------------------------------------------------------

/** GET /interaction/:uid: the consent page, an SSO, a hinted IdP, or the mire. */
export async function showLogin(deps: LoginDependencies, uid: string): Promise<Step> {
  const stored = await readLogin(deps, uid);
  const login = stillOpen(stored.value);
  const sp = serviceProviderOf(deps, login);
  if (login.state === 'identified') {
    if (deps.profile === 'proconnect') return finishLogin(deps, stored, login, sp);
    return consentStep(deps, login, sp, login.identity);
  }
  const session = await loadHubSession(deps.hubSessions, login.citizenSessionId, deps.session);
  if (deps.profile === 'proconnect') return showAgentLogin(deps, stored, login, sp, session);
  const { acr: required, idpHint, maxAge } = login.request;
  if (session && canReuse(session, sp, { required, idpHint, maxAge }, deps.registry)) {
    // SSO: no mire, no IdP; the consent for this SP is still asked.
    const identified = await write(deps, stored, (record) => identify(record, session));
    return consentStep(deps, identified, sp, session);
  }
  const failure = login.state === 'created' ? login.failure : undefined;
  if (idpHint && !failure) return leaveFor(deps, stored, idpHint);
  deps.events.emit({ name: 'mire.shown', clientId: sp.client_id, acr: required, interactionId: uid });
  const failedIdp = failure?.idpUid ? deps.registry.identityProvider(failure.idpUid) : undefined;
  return {
    page: 'mire',
    login,
    sp,
    entries: mireEntries(deps.registry.identityProviders(), sp, required, deps.availability.isAvailable),
    ...(failure ? { banner: { idpName: failedIdp?.name ?? failure.idpUid ?? '', code: failure.code } } : {}),
  };
}

/** POST /interaction/:uid/idp: the citizen picked an IdP on the mire. */
export async function chooseIdp(deps: LoginDependencies, uid: string, idpUid: string | undefined) {
  const stored = await readLogin(deps, uid);
  if (deps.profile === 'proconnect') {
    // Among the IdPs the agent's email routed to only (or the one the SP hinted).
    const login = stillOpen(stored.value);
    const sp = serviceProviderOf(deps, login);
    const allowed = login.email
      ? agentRoute(deps, sp, login.request.acr, login.email).idps.map((idp) => idp.uid)
      : [login.request.idpHint];
    if (!idpUid || !allowed.includes(idpUid)) {
      return failToSp(deps, stored, new RelaisError('R2005', { detail: idpUid ?? 'none' }));
    }
  }
  return leaveFor(deps, stored, idpUid);
}

async function leaveFor(
  deps: LoginDependencies,
  stored: Stored<LoginRecord>,
  idpUid: string | undefined,
  /** ProConnect: the email that routed the agent, kept with the login and sent as login_hint. */
  email?: string,
): Promise<Step> {
  const login = stillOpen(stored.value);
  const sp = serviceProviderOf(deps, login);
  const required = login.request.acr;
  const idp = idpUid ? deps.registry.identityProvider(idpUid) : undefined;
  const reason = idp && unavailableReason(idp, sp, required, deps.availability.isAvailable);
  if (!idp || (reason && reason !== 'temporarily_unavailable')) {
    return failToSp(deps, stored, new RelaisError('R2005', { detail: idpUid ?? 'none' }));
  }
  if (reason === 'temporarily_unavailable') {
    return backToMire(
      deps,
      stored,
      idp.uid,
      new RelaisError('R2002', { detail: `${idp.uid}: measured down` }),
      email,
    );
  }
  let departure: Awaited<ReturnType<typeof buildIdpAuthorizationUrl>>;
  try {
    const agent = deps.profile === 'proconnect';
    departure = await buildIdpAuthorizationUrl(deps, {
      state: idpStateFor(login.uid),
      idpUid: idp.uid,
      requiredAcr: required,
      uiLocales: login.request.uiLocales,
      ...(agent
        ? {
            // ProConnect forwards prompt=login when the SP sent it, and asks it when the browser's
            // hub session could not answer this SP (a step up, another agent, another IdP): the
            // IdP's own session would log the same person in again, at the same level.
            forceLogin: promptsOf(login).has('login') || login.citizenSessionId !== undefined,
            loginHint: email ?? login.email ?? normaliseEmail(login.request.loginHint),
            siretHint: login.request.siretHint,
          }
        : {}),
    });
  } catch (error) {
    if (error instanceof RelaisError) return backToMire(deps, stored, idp.uid, error, email);
    throw error;
  }
  // An IdP gone since the last probe would leave the citizen on the browser's connection error:
  // its login page is checked first (one TCP connect, remembered a moment), and the mire says so.
  if (deps.reachable && !(await deps.reachable(departure.url))) {
    deps.availability.recordLoginFailure(idp.uid);
    return backToMire(
      deps,
      stored,
      idp.uid,
      new RelaisError('R2002', { detail: `${idp.uid}: unreachable` }),
      email,
    );
  }
  await write(deps, stored, (record) => leaveForIdp(record, departure.transaction, email));
  deps.events.emit({
    name: 'idp.chosen',
    clientId: sp.client_id,
    idpUid: idp.uid,
    acr: required,
    interactionId: login.uid,
  });
  const { state, browserBinding } = departure.transaction;
  return { redirect: departure.url.href, bindIdpState: { state, binding: browserBinding } };
}

/**
 * GET /idp/callback, with the binding cookie the browser brought back: the IdP's answer checked,
 * the identity validated, and the consent page at once (no extra redirect; a reload finds the
 * state used and says the session expired, with the way back).
 */
export async function returnFromIdp(
  deps: LoginDependencies,
  url: URL,
  browserBinding: string | undefined,
): Promise<Step> {
  const state = url.searchParams.get('state') ?? '';
  const uid = loginOfIdpState(state);
  if (!uid) throw new RelaisError('R4003', { detail: 'unknown or already used state' });
  const stored = await readLogin(deps, uid);
  const transaction = transactionFor(stored.value, state);
  // Another browser's callback (a replay, a login CSRF) ends here, the transaction left unused.
  if (!boundToBrowser(transaction, browserBinding)) {
    throw new RelaisError('R4003', {
      detail: 'callback from a browser that did not start this login',
      interactionUid: uid,
    });
  }
  const { idpUid } = transaction;
  const started = performance.now();
  let authentication: IdpAuthentication;
  try {
    authentication = await authenticateAtIdp(deps, transaction, url, deps.profile);
  } catch (caught) {
    if (!(caught instanceof RelaisError)) throw caught;
    emitCallback(deps, uid, idpUid, started, caught.code);
    // Short of the second factor the SP needs: no other IdP would do better; a page says so,
    // with the way back to the SP.
    if (caught.code === 'R2006') {
      deps.log('second factor missing', caught);
      throw new RelaisError('R2006', { detail: caught.detail, interactionUid: uid });
    }
    return backToMire(deps, stored, idpUid, caught);
  }
  emitCallback(deps, uid, idpUid, started, undefined);
  // Disabled while the citizen was away: no other IdP can answer for it.
  const idp = deps.registry.identityProvider(idpUid);
  if (!idp) return failToSp(deps, stored, new RelaisError('R2005', { detail: idpUid }));
  let identity: CitizenIdentity;
  // Claims beside the identity that failed their rule are dropped, not fatal: the event names them
  // (the claim and the rule, never the value), so an operator sees an IdP sending malformed ones.
  let dropped: string | undefined;
  const onDropped = (problems: Array<{ claim: string; reason: string }>) => {
    dropped = problems.map((p) => `${p.claim}: ${p.reason}`).join('; ');
  };
  try {
    identity =
      deps.profile === 'proconnect'
        ? toAgentIdentity(idp, authentication, { onDropped })
        : toCitizenIdentity(idp, authentication, { onDropped });
  } catch (caught) {
    if (caught instanceof RelaisError) return backToMire(deps, stored, idpUid, caught);
    throw caught;
  }
  deps.availability.recordLoginSuccess(idpUid);
  deps.events.emit({
    name: 'identity.verified',
    idpUid,
    acr: identity.acr,
    interactionId: uid,
    ...(dropped ? { data: { dropped } } : {}),
  });
  if (deps.profile === 'proconnect') {
    // No consent page: the login ends here, the record moving from at_idp to done at once.
    const identified = identify(stored.value, identity);
    return finishLogin(deps, stored, identified, serviceProviderOf(deps, identified));
  }
  const identified = await write(deps, stored, (record) => {
    transactionFor(record, state);
    return identify(record, identity);
  });
  return consentStep(deps, identified, serviceProviderOf(deps, identified), identity);
}

function emitCallback(
  deps: LoginDependencies,
  uid: string,
  idpUid: string,
  started: number,
  errorCode: string | undefined,
) {
  deps.events.emit({
    name: 'idp.callback',
    idpUid,
    interactionId: uid,
    errorCode,
    data: { ms: Math.round(performance.now() - started) },
  });
}

export interface ConsentForm {
  decision?: string | undefined;
  agree?: string | undefined;
  /** The fingerprint of the person the page showed. */
  identity?: string | undefined;
}

/** POST /interaction/:uid/consent: the SP gets its code, or the refusal. */
export async function giveConsent(deps: LoginDependencies, uid: string, form: ConsentForm): Promise<Step> {
  if (form.decision !== 'accept') return failToSp(deps, await readLogin(deps, uid), new RelaisError('R4002'));
  // One round trip: the record and oidc-provider's interaction, which the consent ends.
  const [stored, interaction] = await Promise.all([readLogin(deps, uid), deps.interactions.open(uid)]);
  const login = awaitingConsent(stored.value);
  const { identity } = login;
  const sp = serviceProviderOf(deps, login);
  if (sp.type === 'private' && form.agree !== 'yes') {
    return consentStep(deps, login, sp, identity, true);
  }
  // The consent given is for the person the page showed (another tab may have logged in since).
  if (form.identity !== identityFingerprint(identity)) {
    throw new RelaisError('R4003', { detail: 'identity changed since the page', interactionUid: uid });
  }
  return finishLogin(deps, stored, login, sp, interaction);
}

/**
 * The SP gets its code: the hub session, the grant and the identity sealed for it, and the
 * interaction's result naming the grant. After the consent (FranceConnect), or at once once the
 * agent is identified (ProConnect: no consent page); `stored` is the record as read, which this
 * move from it to done must find unchanged.
 */
async function finishLogin(
  deps: LoginDependencies,
  stored: Stored<LoginRecord>,
  login: LoginIn<'identified'>,
  sp: ServiceProvider,
  opened?: OpenInteraction,
): Promise<Step> {
  const { uid, identity } = login;
  const interaction = opened ?? (await deps.interactions.open(uid));
  const current = await loadHubSession(
    deps.hubSessions,
    identity.citizenSessionId ?? login.citizenSessionId,
    deps.session,
  );
  // The IdP's id_token stays with the hub session only if the logout at that IdP will need it.
  const endSession = await logsOutAtIdp(deps.idpClients, identity.idpUid);
  const hubSession = hubSessionFor(identity, current, { endSession });
  const { sub, claims } = releasedTo(deps, sp, login);
  deps.events.emit({
    name: 'consent.given',
    clientId: sp.client_id,
    idpUid: identity.idpUid,
    acr: identity.acr,
    interactionId: uid,
    sessionId: hashId(hubSession.citizenSessionId),
    data: { sub: hashId(sub) },
  });
  const grantTtl = grantTtlFor(grantTypesOf(sp), deps.accessTokenTtl);
  const exp = Math.floor(Date.now() / 1000) + grantTtl;
  // The record's move to done, the hub session, the grant and the identity kept for it go
  // together; of two consents at once only the one whose move won gets the interaction's result.
  const location = await deps.interactions.finishWithConsent(
    interaction,
    { ...identity, citizenSessionId: hubSession.citizenSessionId },
    grantTtl,
    (grantId) => {
      const kept = withParticipant(hubSession, sp, grantId);
      return [
        deps.logins.swap(uid, stored, consent(login)).then((swapped) => {
          if (!swapped)
            throw new RelaisError('R4003', { detail: 'consent already given', interactionUid: uid });
        }),
        keepHubSession(deps.hubSessions, kept, deps.session),
        deps.grantIdentities.put(grantId, { sub, claims, exp }),
        ...(deps.sessionEnds?.track(kept, sessionEndsAt(deps.session, kept.startedAt), sp.client_id, sub) ??
          []),
      ];
    },
  );
  return { redirect: location };
}

/** What the SP receives: its sector's `sub`, and the claims the consent page listed. */
function releasedTo(
  deps: LoginDependencies,
  sp: ServiceProvider,
  login: { request: { scope: string; claims?: string | undefined }; identity: CitizenIdentity },
) {
  const sub = deriveSub(deps.subSecret, sp.sector_identifier ?? sp.client_id, login.identity.identityKey);
  const released = releasedClaims(login.request, sp.scope, deps.scopeClaims);
  const claims = Object.fromEntries(
    Object.entries(login.identity.claims).filter(([claim]) => released.includes(claim)),
  );
  return { sub, claims };
}

/** POST /interaction/:uid/cancel: leaving after an IdP failure tells the SP what failed. */
export async function cancel(deps: LoginDependencies, uid: string): Promise<Step> {
  const stored = await readLogin(deps, uid);
  const failure = cancellation(stored.value);
  // Leaving a mire whose every IdP is greyed as down is no choice of the citizen's: the SP learns
  // that no IdP was available (R2002), not that the citizen cancelled (R4001).
  if (failure.code === 'R4001' && deps.profile === 'franceconnect' && everyIdpDown(deps, stored.value)) {
    return failToSp(
      deps,
      stored,
      new RelaisError('R2002', { detail: 'every identity provider is unavailable' }),
    );
  }
  return failToSp(deps, stored, new RelaisError(failure.code, { detail: failure.detail }));
}

/** The mire of this login offers nothing, and only because its IdPs are measured down. */
function everyIdpDown(deps: LoginDependencies, record: LoginRecord): boolean {
  const login = stillOpen(record);
  const sp = serviceProviderOf(deps, login);
  const entries = mireEntries(
    deps.registry.identityProviders(),
    sp,
    login.request.acr,
    deps.availability.isAvailable,
  );
  return (
    entries.some((entry) => entry.reason === 'temporarily_unavailable') &&
    !entries.some((entry) => entry.available)
  );
}

/**
 * POST /interaction/:uid/leave, "Revenir à <SP>" from an error page: the SP receives the error the
 * page showed. Only the browser holding the interaction ends it; any other just goes back.
 */
export async function leave(
  deps: LoginDependencies,
  uid: string,
  error: RelaisError,
  heldByThisBrowser: boolean,
): Promise<Step> {
  const stored = await deps.logins.read(uid);
  if (!stored || !deps.registry.serviceProvider(stored.value.wayBack.clientId)) {
    throw new RelaisError('R4003');
  }
  if (heldByThisBrowser && isOpen(stored.value)) return failToSp(deps, stored, error);
  return { redirect: errorRedirect(stored.value.wayBack, error, deps.issuer) };
}

// ---- endings ---------------------------------------------------------------------------------

function consentStep(
  deps: LoginDependencies,
  login: OpenLogin,
  sp: ServiceProvider,
  identity: CitizenIdentity,
  agreementMissing = false,
): Step {
  deps.events.emit({
    name: 'consent.shown',
    clientId: sp.client_id,
    idpUid: identity.idpUid,
    acr: identity.acr,
    interactionId: login.uid,
  });
  const claims = releasedClaims(login.request, sp.scope, deps.scopeClaims).filter(
    (claim) => claim in identity.claims,
  );
  return {
    page: 'consent',
    login,
    sp,
    consent: {
      identity,
      claims,
      dataProviders: dataProvidersFor(deps, login, sp),
      fingerprint: identityFingerprint(identity),
      requireAgreement: sp.type === 'private',
      agreementMissing,
    },
  };
}

/**
 * The data providers whose scopes the SP asked for and may have (FranceConnect shows them on the
 * consent page: the SP may call them about the citizen with its access token).
 */
function dataProvidersFor(deps: LoginDependencies, login: OpenLogin, sp: ServiceProvider) {
  const authorised = new Set(splitScope(sp.scope));
  const asked = splitScope(login.request.scope).filter((scope) => authorised.has(scope));
  // An identity scope a data provider declares (openid…) is not data of its own.
  const dataScopes = new Set(deps.registry.dataScopes().filter((scope) => !(scope in deps.scopeClaims)));
  const wanted = asked.filter((scope) => dataScopes.has(scope));
  if (!wanted.length) return [];
  return deps.registry
    .dataProviders()
    .map((dp) => ({ name: dp.name, scopes: dp.scopes.filter((scope) => wanted.includes(scope)) }))
    .filter((dp) => dp.scopes.length);
}

/** After an IdP failure: back to the mire with a banner (FranceConnect's behaviour). */
async function backToMire(
  deps: LoginDependencies,
  stored: Stored<LoginRecord>,
  idpUid: string,
  error: RelaisError,
  /** ProConnect: the address that routed to this IdP, shown again on the email page. */
  email?: string,
): Promise<Step> {
  deps.log('identity provider failed', error);
  if (error.code === 'R2002') deps.availability.recordLoginFailure(idpUid);
  const uid = stored.value.uid;
  deps.events.emit({ name: 'idp.failed', idpUid, interactionId: uid, errorCode: error.code });
  const failure: LoginFailure = {
    code: error.code,
    idpUid,
    ...(error.detail ? { detail: error.detail } : {}),
  };
  await write(deps, stored, (record) => idpFailed(email ? withEmail(record, email) : record, failure));
  return { redirect: `/interaction/${uid}` };
}

/** Any failure once the SP is trusted goes back to its redirect_uri (FC v2 error routing). */
async function failToSp(deps: LoginDependencies, stored: Stored<LoginRecord>, error: RelaisError) {
  deps.log('login failed', error);
  const idpUid = idpOf(stored.value);
  const login: LoginIn<'failed'> = fail(stored.value, {
    code: error.code,
    ...(idpUid ? { idpUid } : {}),
    ...(error.detail ? { detail: error.detail } : {}),
  });
  deps.events.emit({
    name: 'login.failed',
    clientId: login.wayBack.clientId,
    idpUid: login.failure.idpUid,
    interactionId: login.uid,
    errorCode: error.code,
  });
  // The record first: a consent that won meanwhile keeps its result (this one then fails, R4003).
  await write(deps, stored, (record) => fail(record, login.failure));
  return { redirect: await deps.interactions.finishWithError(login.uid, error) };
}

// ---- ProConnect: the email picks the IdP -----------------------------------------------------

/** The SP's prompt values (ProConnect: login forces a fresh IdP login, no SSO). */
function promptsOf(login: OpenLogin): Set<string> {
  return new Set((login.request.prompt ?? '').split(' ').filter(Boolean));
}

/** The IdPs an agent may use for this SP at this level: active, allowed, able to reach it. */
function usableIdps(deps: LoginDependencies, sp: ServiceProvider, required: OpenLogin['request']['acr']) {
  return deps.registry.identityProvidersFor(sp).filter((idp) => canDeliver(idp, required));
}

interface AgentRoute {
  /** Where the email routes (a domain's IdPs, the fallback, or none). */
  outcome: 'domain' | 'several' | 'fallback' | 'none' | 'public_only';
  /** The IdPs the agent may go to: one, several to pick from, or none. */
  idps: IdentityProvider[];
}

/** The email's domain → the IdP(s), within what this SP admits (public_agents_only). */
function agentRoute(
  deps: LoginDependencies,
  sp: ServiceProvider,
  required: OpenLogin['request']['acr'],
  email: string,
): AgentRoute {
  const route = routeEmail(emailDomain(email), usableIdps(deps, sp, required));
  if (route.kind === 'none') return { outcome: 'none', idps: [] };
  const routed = route.kind === 'domain' ? route.idps : [route.idp];
  const idps = sp.public_agents_only ? routed.filter((idp) => idp.public_sector) : routed;
  if (!idps.length) return { outcome: 'public_only', idps };
  if (route.kind === 'fallback') return { outcome: 'fallback', idps };
  return { outcome: idps.length > 1 ? 'several' : 'domain', idps };
}

/** GET /interaction/:uid under ProConnect: an SSO, a hinted email or IdP, or the email page. */
async function showAgentLogin(
  deps: LoginDependencies,
  stored: Stored<LoginRecord>,
  login: OpenLogin,
  sp: ServiceProvider,
  session: Awaited<ReturnType<typeof loadHubSession>>,
): Promise<Step> {
  const failure = login.state === 'created' ? login.failure : undefined;
  const { acr: required, idpHint } = login.request;
  const idp =
    session &&
    !failure &&
    !promptsOf(login).has('login') &&
    authenticatedWithin(session, login.request.maxAge) &&
    reusableIdp(deps, session, sp, { idpHint, loginHint: login.request.loginHint });
  if (session && idp) {
    // The SSO: the session's IdP login stands for this SP too, at the level it reached; an SP
    // asking more sends the agent back to that IdP for it, if it can reach it.
    if (acrRank(session.acr) >= acrRank(required)) {
      const identified = identify(stored.value, session);
      return finishLogin(deps, stored, identified, sp);
    }
    if (canDeliver(idp, required)) return leaveFor(deps, stored, idp.uid, session.claims['email']);
  }
  if (failure) return emailStep(deps, login, sp, { email: login.email, banner: bannerOf(deps, failure) });
  // Back from the IdP (the browser's back button): the address again, to keep or correct.
  if (login.state === 'at_idp') return emailStep(deps, login, sp, { email: login.email });
  if (idpHint) return leaveFor(deps, stored, idpHint);
  // The agent's own address (a reload of the choice among several IdPs), or the SP's login_hint.
  const hinted = normaliseEmail(login.email ?? login.request.loginHint);
  if (hinted) return routeAgent(deps, stored, login, sp, hinted);
  return emailStep(deps, login, sp, {});
}

export interface EmailForm {
  email?: string | undefined;
  /** The agent kept (or accepted the correction of) a domain the page flagged as a likely typo. */
  confirmed?: boolean | undefined;
}

/** POST /interaction/:uid/email: the agent's professional email routes the login. */
export async function submitEmail(deps: LoginDependencies, uid: string, form: EmailForm): Promise<Step> {
  if (deps.profile !== 'proconnect') throw new RelaisError('R4005');
  const stored = await readLogin(deps, uid);
  const login = stillOpen(stored.value);
  const sp = serviceProviderOf(deps, login);
  const email = normaliseEmail(form.email);
  if (!email) {
    return emailStep(deps, login, sp, { email: form.email?.trim().slice(0, 320), problem: 'invalid' });
  }
  if (!form.confirmed) {
    const known = deps.registry
      .identityProviders()
      .filter((idp) => idp.active)
      .flatMap((idp) => idp.email_domains ?? []);
    const suggestion = suggestDomain(emailDomain(email), [...known, ...COMMON_EMAIL_DOMAINS]);
    if (suggestion) {
      deps.events.emit({
        name: 'email.routed',
        clientId: sp.client_id,
        interactionId: uid,
        data: { outcome: 'typo' },
      });
      return emailStep(deps, login, sp, { email, suggestion });
    }
  }
  return routeAgent(deps, stored, login, sp, email);
}

async function routeAgent(
  deps: LoginDependencies,
  stored: Stored<LoginRecord>,
  login: OpenLogin,
  sp: ServiceProvider,
  email: string,
): Promise<Step> {
  const route = agentRoute(deps, sp, login.request.acr, email);
  deps.events.emit({
    name: 'email.routed',
    clientId: sp.client_id,
    interactionId: login.uid,
    ...(route.idps.length === 1 ? { idpUid: route.idps[0]?.uid } : {}),
    data: { outcome: route.outcome },
  });
  if (route.outcome === 'none') return emailStep(deps, login, sp, { email, problem: 'no_route' });
  if (route.outcome === 'public_only') return emailStep(deps, login, sp, { email, problem: 'public_only' });
  const [only] = route.idps;
  if (only && route.idps.length === 1) return leaveFor(deps, stored, only.uid, email);
  // Several IdPs answer for the domain: the agent picks among exactly those.
  const updated = await write(deps, stored, (record) => withEmail(record, email));
  const entries = mireEntries(route.idps, sp, login.request.acr, deps.availability.isAvailable);
  return emailStep(deps, updated, sp, { email, choices: entries });
}

function bannerOf(deps: LoginDependencies, failure: LoginFailure): Banner {
  const idp = failure.idpUid ? deps.registry.identityProvider(failure.idpUid) : undefined;
  return { idpName: idp?.name ?? failure.idpUid ?? '', code: failure.code };
}

function emailStep(
  deps: LoginDependencies,
  login: OpenLogin,
  sp: ServiceProvider,
  view: Omit<Extract<Step, { page: 'email' }>, 'page' | 'login' | 'sp'>,
): Step {
  if (!view.problem && !view.suggestion && !view.choices) {
    deps.events.emit({
      name: 'mire.shown',
      clientId: sp.client_id,
      acr: login.request.acr,
      interactionId: login.uid,
    });
  }
  return { page: 'email', login, sp, ...view };
}

/**
 * The hub session's IdP, when this SP may be served by it: allowed, public if it must be, the one
 * hinted, and for the agent hinted (an SP's login_hint naming someone else asks a new login).
 */
function reusableIdp(
  deps: LoginDependencies,
  session: HubSession,
  sp: ServiceProvider,
  hints: { idpHint: string | undefined; loginHint: string | undefined },
): IdentityProvider | undefined {
  if (hints.idpHint && hints.idpHint !== session.idpUid) return undefined;
  // A login_hint that is not an address is ignored, here as on the email page.
  const hinted = normaliseEmail(hints.loginHint);
  if (hinted && hinted.toLowerCase() !== session.claims['email']?.toLowerCase()) return undefined;
  const idp = deps.registry.identityProvidersFor(sp).find((candidate) => candidate.uid === session.idpUid);
  return idp && (!sp.public_agents_only || idp.public_sector) ? idp : undefined;
}

/**
 * ProConnect's prompt=none: the browser's live hub session answers for this SP without a page, when
 * its IdP may serve the SP and reached the level asked; what the SP receives then (the op/ side
 * writes the grant). undefined: login_required, as without a session.
 */
export async function silentLogin(
  deps: LoginDependencies,
  request: { accountId: string; clientId: string; params: Readonly<Record<string, unknown>> },
): Promise<
  { sub: string; claims: Record<string, string>; grantTtl: number; accepted: () => void } | undefined
> {
  if (deps.profile !== 'proconnect') return undefined;
  const sp = deps.registry.serviceProvider(request.clientId);
  const session = sp && (await loadHubSession(deps.hubSessions, request.accountId, deps.session));
  if (!sp || !session) return undefined;
  const text = (name: string) => {
    const value = request.params[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const required = requestedLevel(text('acr_values'), text('claims')) ?? 'eidas1';
  const hints = { idpHint: text('idp_hint'), loginHint: text('login_hint') };
  if (!reusableIdp(deps, session, sp, hints) || acrRank(session.acr) < acrRank(required)) {
    return undefined;
  }
  const { sub, claims } = releasedTo(deps, sp, {
    request: { scope: text('scope') ?? '', claims: text('claims') },
    identity: session,
  });
  const accepted = () =>
    deps.events.emit({
      name: 'consent.given',
      clientId: sp.client_id,
      idpUid: session.idpUid,
      acr: session.acr,
      sessionId: hashId(session.citizenSessionId),
      data: { sub: hashId(sub), silent: true },
    });
  return { sub, claims, grantTtl: grantTtlFor(grantTypesOf(sp), deps.accessTokenTtl), accepted };
}
