// The citizen's path through the hub: mire → IdP → callback → consent → back to the SP.
// Every step re-reads the interaction from this browser's cookie, so a step cannot be skipped.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { parseAcrValues } from '../config/federation.ts';
import { RelaisError } from '../errors.ts';
import {
  finishWithConsent,
  finishWithError,
  type InteractionView,
  readInteraction,
} from '../op/interaction.ts';
import { INTERACTION_TTL } from '../op/provider.ts';
import { claimsOfScopes, splitScope } from '../op/scopes.ts';
import { deriveSub } from '../pivot/index.ts';
import { buildIdpAuthorizationUrl } from '../rp/authorize.ts';
import { handleIdpCallback } from '../rp/callback.ts';
import type { IdpClients } from '../rp/identity-providers.ts';
import { canDeliver, type Registry, requiredAcr } from '../store/registry-cache.ts';
import type { Vault } from '../store/vault.ts';
import { bindStateToBrowser, stateBoundToBrowser } from './browser-binding.ts';
import { type CitizenIdentity, citizenKey, describePerson, toCitizenIdentity } from './citizen.ts';
import { claimLabels } from './claim-labels.ts';
import { csrfToken, csrfValid } from './csrf.ts';

export interface FlowDependencies {
  provider: Provider;
  registry: Registry;
  vault: Vault;
  idpClients: IdpClients;
  callbackUrl: string;
  subSecret: string;
  csrfKey: Buffer;
  /** Cookies get `Secure` when the issuer is https. */
  secureCookies: boolean;
}

const uidParams = z.object({ uid: z.string().min(1).max(64) });
const formBody = z.object({
  csrf: z.string().optional(),
  idp: z.string().optional(),
  decision: z.string().optional(),
});

export function interactionRoutes(app: FastifyInstance, deps: FlowDependencies): void {
  const { provider, registry, vault } = deps;

  /** Any failure once the SP is trusted goes back to its redirect_uri (FC v2 error routing). */
  async function failToSp(reply: FastifyReply, uid: string, error: RelaisError) {
    reply.request.log.info({ code: error.code, detail: error.detail }, 'login failed');
    await vault.del(citizenKey(uid));
    return reply.redirect(await finishWithError(provider, uid, error), 303);
  }

  function serviceProviderOf(view: InteractionView) {
    const sp = registry.serviceProvider(view.clientId);
    if (!sp) throw new RelaisError('R1001');
    return sp;
  }

  async function leaveForIdp(reply: FastifyReply, view: InteractionView, idpUid: string | undefined) {
    const sp = serviceProviderOf(view);
    const required = requiredAcr(parseAcrValues(view.params.acr_values).levels);
    const idp = registry.identityProvidersFor(sp).find((candidate) => candidate.uid === idpUid);
    if (!idp || !required || !canDeliver(idp, required)) {
      return failToSp(reply, view.uid, new RelaisError('R2005', { detail: idpUid ?? 'none' }));
    }
    try {
      const url = await buildIdpAuthorizationUrl(deps, {
        interactionUid: view.uid,
        idpUid: idp.uid,
        requiredAcr: required,
        uiLocales: view.params.ui_locales,
      });
      bindStateToBrowser(reply, url.searchParams.get('state') ?? '', deps.secureCookies);
      return reply.redirect(url.href, 303);
    } catch (error) {
      if (error instanceof RelaisError) return failToSp(reply, view.uid, error);
      throw error;
    }
  }

  async function readForm(request: FastifyRequest, reply: FastifyReply) {
    const { uid } = uidParams.parse(request.params);
    const view = await readInteraction(provider, request.raw, reply.raw, uid);
    const body = formBody.parse(request.body ?? {});
    if (!csrfValid(deps.csrfKey, uid, body.csrf)) throw new RelaisError('R4004');
    return { view, body };
  }

  app.get('/interaction/:uid', async (request, reply) => {
    const { uid } = uidParams.parse(request.params);
    const view = await readInteraction(provider, request.raw, reply.raw, uid);
    const sp = serviceProviderOf(view);
    const citizen = (await vault.get(citizenKey(uid))) as CitizenIdentity | undefined;
    const csrf = csrfToken(deps.csrfKey, uid);
    if (citizen) {
      const released = [...claimsOfScopes(splitScope(view.params.scope))].filter(
        (claim) => claim in citizen.claims,
      );
      return reply.view('consent.njk', {
        title: 'Transmission de vos données',
        uid,
        csrf,
        spName: sp.client_name,
        anonymous: released.length === 0,
        person: describePerson(citizen.claims),
        claimLabels: claimLabels(released),
      });
    }
    if (view.params.idp_hint) return leaveForIdp(reply, view, view.params.idp_hint);
    const required = requiredAcr(parseAcrValues(view.params.acr_values).levels);
    const identityProviders = registry
      .identityProvidersFor(sp)
      .filter((idp) => idp.display && required && canDeliver(idp, required));
    return reply.view('mire.njk', {
      title: 'Choix du compte',
      uid,
      csrf,
      spName: sp.client_name,
      identityProviders,
    });
  });

  app.post('/interaction/:uid/idp', async (request, reply) => {
    const { view, body } = await readForm(request, reply);
    return leaveForIdp(reply, view, body.idp);
  });

  app.post('/interaction/:uid/cancel', async (request, reply) => {
    const { view } = await readForm(request, reply);
    return failToSp(reply, view.uid, new RelaisError('R4001'));
  });

  app.post('/interaction/:uid/consent', async (request, reply) => {
    const { view, body } = await readForm(request, reply);
    if (body.decision !== 'accept') return failToSp(reply, view.uid, new RelaisError('R4002'));
    // Taken, not read: of two consent submissions at once, only one can give the SP a code.
    const citizen = (await vault.take(citizenKey(view.uid))) as CitizenIdentity | undefined;
    if (!citizen) throw new RelaisError('R4003', { detail: 'no identity for this interaction' });
    const sp = serviceProviderOf(view);
    const sub = deriveSub(deps.subSecret, sp.sector_identifier ?? sp.client_id, citizen.identityKey);
    return reply.redirect(await finishWithConsent(provider, vault, view, { ...citizen, sub }), 303);
  });

  app.get('/idp/callback', async (request, reply) => {
    const url = new URL(request.url, deps.callbackUrl);
    // Another browser's callback (a replay, a login CSRF) must not use up the citizen's transaction.
    if (!stateBoundToBrowser(request, reply, url.searchParams.get('state'))) {
      throw new RelaisError('R4003', { detail: 'callback from a browser that did not start this login' });
    }
    const outcome = await handleIdpCallback(deps, url);
    const uid = outcome.transaction.interactionUid;
    if ('error' in outcome) return failToSp(reply, uid, outcome.error);
    const idp = registry.identityProvider(outcome.transaction.idpUid);
    if (!idp) return failToSp(reply, uid, new RelaisError('R2005'));
    let citizen: CitizenIdentity;
    try {
      citizen = toCitizenIdentity(idp, outcome.authentication);
    } catch (error) {
      if (error instanceof RelaisError) return failToSp(reply, uid, error);
      throw error;
    }
    await vault.put(citizenKey(uid), citizen, INTERACTION_TTL);
    return reply.redirect(`/interaction/${uid}`, 303);
  });
}
