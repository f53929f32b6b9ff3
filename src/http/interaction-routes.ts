// The citizen's path through the hub: mire → IdP → callback → consent → back to the SP.
// Every step re-reads the interaction from this browser's cookie, so a step cannot be skipped.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { type Acr, parseAcrValues, type ServiceProvider } from '../config/federation.ts';
import { ERRORS, type ErrorCode, RelaisError } from '../errors.ts';
import { type Events, hashId } from '../events.ts';
import { grantTypesOf } from '../op/clients.ts';
import {
  finishWithConsent,
  finishWithError,
  type InteractionView,
  readInteraction,
} from '../op/interaction.ts';
import { grantTtlFor, INTERACTION_TTL } from '../op/provider.ts';
import { releasedClaims } from '../op/scopes.ts';
import type { SessionLifetime } from '../op/session-lifetime.ts';
import { deriveSub } from '../pivot/index.ts';
import { buildIdpAuthorizationUrl } from '../rp/authorize.ts';
import type { Availability } from '../rp/availability.ts';
import { handleIdpCallback } from '../rp/callback.ts';
import type { IdpClients } from '../rp/identity-providers.ts';
import type { Kv } from '../store/kv.ts';
import { type Registry, requiredAcr } from '../store/registry-cache.ts';
import type { Vault } from '../store/vault.ts';
import { bindStateToBrowser, stateBoundToBrowser } from './browser-binding.ts';
import { type CitizenIdentity, citizenKey, identityFingerprint, toCitizenIdentity } from './citizen.ts';
import { csrfToken, csrfValid } from './csrf.ts';
import { canReuse, hubSessionFor, loadHubSession, putHubSession } from './hub-session.ts';
import { formatDate } from './i18n.ts';
import { mireEntries, unavailableReason } from './mire.ts';
import type { PageContext } from './page-context.ts';
import { errorRedirect, recallSpReturn } from './sp-return.ts';

export interface FlowDependencies {
  issuer: string;
  provider: Provider;
  registry: Registry;
  kv: Kv;
  vault: Vault;
  idpClients: IdpClients;
  availability: Availability;
  callbackUrl: string;
  subSecret: string;
  /** Lifetime of the hub session (SSO between SPs). */
  session: SessionLifetime;
  csrfKey: Buffer;
  /** Cookies get `Secure` when the issuer is https. */
  secureCookies: boolean;
  context(request: FastifyRequest, reply: FastifyReply, uiLocales?: string): PageContext;
  /** Business events (src/events.ts): one per step. */
  events: Events;
}

/** An IdP-side failure brings the citizen back to the mire, with a banner, to pick again. */
interface MireFailure {
  idpUid: string;
  code: ErrorCode;
  detail: string | undefined;
}

const uidParams = z.object({ uid: z.string().min(1).max(64) });
const formBody = z.object({
  csrf: z.string().max(100).optional(),
  idp: z.string().max(64).optional(),
  decision: z.string().max(16).optional(),
  agree: z.string().max(8).optional(),
  code: z.string().max(8).optional(),
  identity: z.string().max(64).optional(),
});
const failureKey = (uid: string) => `mire-failure:${uid}`;

export function interactionRoutes(app: FastifyInstance, deps: FlowDependencies): void {
  const { provider, registry, vault, kv } = deps;

  /** Any failure once the SP is trusted goes back to its redirect_uri (FC v2 error routing). */
  async function failToSp(reply: FastifyReply, uid: string, error: RelaisError) {
    reply.request.log.info({ code: error.code, detail: error.detail }, 'login failed');
    await reportFailure(uid, error);
    await Promise.all([vault.del(citizenKey(uid)), kv.del([failureKey(uid)])]);
    return reply.redirect(await finishWithError(provider, uid, error), 303);
  }

  /** The login.failed event, with what the hub knows of this login: its SP, the IdP tried last. */
  async function reportFailure(uid: string, error: RelaisError) {
    const known = await Promise.all([
      recallSpReturn(kv, uid),
      vault.get(citizenKey(uid)) as Promise<CitizenIdentity | undefined>,
      failureOf(uid),
    ]).catch(() => []);
    const [spReturn, citizen, failure] = known;
    const idpUid = citizen?.idpUid ?? failure?.idpUid;
    deps.events.emit({
      name: 'login.failed',
      clientId: spReturn?.clientId,
      idpUid,
      interactionId: uid,
      errorCode: error.code,
    });
  }

  /** After an IdP failure: back to the mire with a banner (FranceConnect's behaviour). */
  async function backToMire(reply: FastifyReply, uid: string, idpUid: string, error: RelaisError) {
    reply.request.log.info({ code: error.code, detail: error.detail }, 'identity provider failed');
    if (error.code === 'R2002') deps.availability.recordLoginFailure(idpUid);
    deps.events.emit({ name: 'idp.failed', idpUid, interactionId: uid, errorCode: error.code });
    const failure: MireFailure = { idpUid, code: error.code, detail: error.detail };
    await kv.set(failureKey(uid), JSON.stringify(failure), INTERACTION_TTL);
    return reply.redirect(`/interaction/${uid}`, 303);
  }

  function serviceProviderOf(view: InteractionView): ServiceProvider {
    const sp = registry.serviceProvider(view.clientId);
    if (!sp) throw new RelaisError('R1001');
    return sp;
  }

  function requiredLevel(view: InteractionView): Acr {
    // The FC v2 rules refused the request already if it had no usable level.
    return requiredAcr(parseAcrValues(view.params.acr_values).levels) ?? 'eidas1';
  }

  /** `mayHaveFailed`: false when the caller knows no IdP failure is recorded for this login. */
  async function leaveForIdp(
    reply: FastifyReply,
    view: InteractionView,
    idpUid: string | undefined,
    mayHaveFailed = true,
  ) {
    const sp = serviceProviderOf(view);
    const idp = idpUid ? registry.identityProvider(idpUid) : undefined;
    const reason = idp && unavailableReason(idp, sp, requiredLevel(view), deps.availability.isAvailable);
    if (!idp || (reason && reason !== 'temporarily_unavailable')) {
      return failToSp(reply, view.uid, new RelaisError('R2005', { detail: idpUid ?? 'none' }));
    }
    if (reason === 'temporarily_unavailable') {
      return backToMire(
        reply,
        view.uid,
        idp.uid,
        new RelaisError('R2002', { detail: `${idp.uid}: measured down` }),
      );
    }
    try {
      // The IdP's transaction is written while the banner of an earlier failure goes: one round trip.
      const [url] = await Promise.all([
        buildIdpAuthorizationUrl(deps, {
          interactionUid: view.uid,
          idpUid: idp.uid,
          requiredAcr: requiredLevel(view),
          uiLocales: view.params.ui_locales,
        }),
        mayHaveFailed ? kv.del([failureKey(view.uid)]) : undefined,
      ]);
      bindStateToBrowser(reply, url.searchParams.get('state') ?? '', deps.secureCookies);
      const acr = requiredLevel(view);
      deps.events.emit({
        name: 'idp.chosen',
        clientId: sp.client_id,
        idpUid: idp.uid,
        acr,
        interactionId: view.uid,
      });
      return reply.redirect(url.href, 303);
    } catch (error) {
      if (error instanceof RelaisError) return backToMire(reply, view.uid, idp.uid, error);
      throw error;
    }
  }

  async function readForm(request: FastifyRequest, reply: FastifyReply) {
    const { uid } = uidParams.parse(request.params);
    const view = await readInteraction(provider, request.raw, reply.raw, uid);
    const body = formBody.parse(request.body ?? {});
    if (!csrfValid(deps.csrfKey, uid, body.csrf)) throw new RelaisError('R4004', { interactionUid: uid });
    return { view, body };
  }

  async function failureOf(uid: string): Promise<MireFailure | undefined> {
    const raw = await kv.get(failureKey(uid));
    return raw ? (JSON.parse(raw) as MireFailure) : undefined;
  }

  function renderMire(
    request: FastifyRequest,
    reply: FastifyReply,
    view: InteractionView,
    sp: ServiceProvider,
    failure: MireFailure | undefined,
  ) {
    const failedIdp = failure ? registry.identityProvider(failure.idpUid) : undefined;
    return reply.view('mire.njk', {
      ...deps.context(request, reply, view.params.ui_locales),
      titleKey: 'mire.title',
      uid: view.uid,
      csrf: csrfToken(deps.csrfKey, view.uid),
      spName: sp.client_name,
      identityProviders: mireEntries(
        registry.identityProviders(),
        sp,
        requiredLevel(view),
        deps.availability.isAvailable,
      ),
      failure: failure ? { idpName: failedIdp?.name ?? failure.idpUid, code: failure.code } : undefined,
    });
  }

  function renderConsent(
    request: FastifyRequest,
    reply: FastifyReply,
    view: InteractionView,
    sp: ServiceProvider,
    citizen: CitizenIdentity,
    agreementMissing = false,
  ) {
    const context = deps.context(request, reply, view.params.ui_locales);
    deps.events.emit({
      name: 'consent.shown',
      clientId: sp.client_id,
      idpUid: citizen.idpUid,
      acr: citizen.acr,
      interactionId: view.uid,
    });
    const claims = releasedClaims(view.params, sp.scope).filter((claim) => claim in citizen.claims);
    const { given_name, family_name, birthdate, gender } = citizen.claims;
    return reply.view('consent.njk', {
      ...context,
      titleKey: 'consent.title',
      uid: view.uid,
      csrf: csrfToken(deps.csrfKey, view.uid),
      identity: identityFingerprint(citizen),
      spName: sp.client_name,
      anonymous: claims.length === 0,
      person:
        given_name && family_name && birthdate
          ? {
              givenName: given_name,
              // As FranceConnect writes it: the birth name in capitals ("Marie DUPONT").
              familyName: family_name.toLocaleUpperCase('fr-FR'),
              birthdate: formatDate(context.lang, birthdate),
              gender,
            }
          : undefined,
      claims,
      // FranceConnect: a private SP needs the citizen's explicit consent, a public one informs.
      requireAgreement: sp.type === 'private',
      agreementMissing,
    });
  }

  app.get('/interaction/:uid', async (request, reply) => {
    const { uid } = uidParams.parse(request.params);
    // One round trip: what this page may show is read with the interaction, used only once it is
    // known to be this browser's (the way back to the SP was recorded at /authorize).
    const [view, citizen, failure] = await Promise.all([
      readInteraction(provider, request.raw, reply.raw, uid),
      vault.get(citizenKey(uid)) as Promise<CitizenIdentity | undefined>,
      failureOf(uid),
    ]);
    const sp = serviceProviderOf(view);
    if (citizen) return renderConsent(request, reply, view, sp, citizen);
    const session = await loadHubSession(vault, view.citizenSessionId, deps.session);
    if (
      session &&
      canReuse(session, sp, { required: requiredLevel(view), idpHint: view.params.idp_hint }, registry)
    ) {
      // SSO: no mire, no IdP; the consent for this SP is still asked.
      await vault.put(citizenKey(uid), session, INTERACTION_TTL);
      return renderConsent(request, reply, view, sp, session);
    }
    const hinted = view.params.idp_hint;
    if (hinted && !failure) return leaveForIdp(reply, view, hinted, false);
    deps.events.emit({
      name: 'mire.shown',
      clientId: sp.client_id,
      acr: requiredLevel(view),
      interactionId: uid,
    });
    return renderMire(request, reply, view, sp, failure);
  });

  app.post('/interaction/:uid/idp', async (request, reply) => {
    const { view, body } = await readForm(request, reply);
    return leaveForIdp(reply, view, body.idp);
  });

  app.post('/interaction/:uid/cancel', async (request, reply) => {
    const { view } = await readForm(request, reply);
    // Leaving after an IdP failure tells the SP what failed, not just that the citizen left.
    const failure = await failureOf(view.uid);
    const error = failure
      ? new RelaisError(failure.code, { detail: failure.detail })
      : new RelaisError('R4001');
    return failToSp(reply, view.uid, error);
  });

  app.post('/interaction/:uid/consent', async (request, reply) => {
    const { view, body } = await readForm(request, reply);
    if (body.decision !== 'accept') return failToSp(reply, view.uid, new RelaisError('R4002'));
    const sp = serviceProviderOf(view);
    if (sp.type === 'private' && body.agree !== 'yes') {
      const citizen = (await vault.get(citizenKey(view.uid))) as CitizenIdentity | undefined;
      if (!citizen) throw new RelaisError('R4003', { detail: 'no identity', interactionUid: view.uid });
      return renderConsent(request, reply.status(400), view, sp, citizen, true);
    }
    // Taken, not read: of two consent submissions at once, only one can give the SP a code.
    const [citizen, current] = await Promise.all([
      vault.take(citizenKey(view.uid)) as Promise<CitizenIdentity | undefined>,
      loadHubSession(vault, view.citizenSessionId, deps.session),
    ]);
    if (!citizen) throw new RelaisError('R4003', { detail: 'no identity', interactionUid: view.uid });
    // The consent given is for the person the page showed (another tab may have logged in since).
    if (body.identity !== identityFingerprint(citizen)) {
      throw new RelaisError('R4003', { detail: 'identity changed since the page', interactionUid: view.uid });
    }
    const sub = deriveSub(deps.subSecret, sp.sector_identifier ?? sp.client_id, citizen.identityKey);
    const released = releasedClaims(view.params, sp.scope);
    const claims = Object.fromEntries(
      Object.entries(citizen.claims).filter(([claim]) => released.includes(claim)),
    );
    const hubSession = hubSessionFor(citizen, current);
    const { citizenSessionId } = hubSession;
    const login = { ...citizen, claims, sub, citizenSessionId };
    const ids = { sessionId: hashId(citizenSessionId), data: { sub: hashId(sub) } };
    deps.events.emit({
      name: 'consent.given',
      clientId: sp.client_id,
      idpUid: citizen.idpUid,
      acr: citizen.acr,
      interactionId: view.uid,
      ...ids,
    });
    const grantTtl = grantTtlFor(grantTypesOf(sp));
    // The hub session, the grant and its identity together, then the interaction's result.
    const location = await finishWithConsent(provider, vault, view, login, grantTtl, () =>
      putHubSession(vault, hubSession, deps.session),
    );
    return reply.redirect(location, 303);
  });

  /** "Revenir à <SP>" from an error page: the SP receives the error the page showed. */
  app.post('/interaction/:uid/leave', async (request, reply) => {
    const { uid } = uidParams.parse(request.params);
    const body = formBody.parse(request.body ?? {});
    if (!csrfValid(deps.csrfKey, uid, body.csrf)) throw new RelaisError('R4004');
    const code = body.code && body.code in ERRORS ? (body.code as ErrorCode) : 'R4003';
    const error = new RelaisError(code);
    // Only the browser holding the interaction may end it; any other just goes back to the SP.
    const holder = await readInteraction(provider, request.raw, reply.raw, uid).catch(() => undefined);
    if (holder) return failToSp(reply, uid, error);
    const spReturn = await recallSpReturn(kv, uid);
    if (!spReturn || !registry.serviceProvider(spReturn.clientId)) throw new RelaisError('R4003');
    return reply.redirect(errorRedirect(spReturn, error, deps.issuer), 303);
  });

  app.get('/idp/callback', async (request, reply) => {
    const url = new URL(request.url, deps.callbackUrl);
    // Another browser's callback (a replay, a login CSRF) must not use up the citizen's transaction.
    if (!stateBoundToBrowser(request, reply, url.searchParams.get('state'))) {
      throw new RelaisError('R4003', { detail: 'callback from a browser that did not start this login' });
    }
    const started = performance.now();
    const outcome = await handleIdpCallback(deps, url);
    const { interactionUid: uid, idpUid } = outcome.transaction;
    deps.events.emit({
      name: 'idp.callback',
      idpUid,
      interactionId: uid,
      errorCode: 'error' in outcome ? outcome.error.code : undefined,
      data: { ms: Math.round(performance.now() - started) },
    });
    if ('error' in outcome) return backToMire(reply, uid, idpUid, outcome.error);
    const idp = registry.identityProvider(idpUid);
    if (!idp) return failToSp(reply, uid, new RelaisError('R2005'));
    let citizen: CitizenIdentity;
    try {
      citizen = toCitizenIdentity(idp, outcome.authentication);
    } catch (error) {
      if (error instanceof RelaisError) return backToMire(reply, uid, idpUid, error);
      throw error;
    }
    deps.availability.recordLoginSuccess(idpUid);
    deps.events.emit({ name: 'identity.verified', idpUid, acr: citizen.acr, interactionId: uid });
    await vault.put(citizenKey(uid), citizen, INTERACTION_TTL);
    return reply.redirect(`/interaction/${uid}`, 303);
  });
}
