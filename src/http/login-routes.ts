// The citizen's pages of a login: each route parses its input, calls one hop of the login flow
// (login/flow.ts), and renders the page or redirects. The flow holds every rule.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isErrorCode, RelaisError } from '../errors.ts';
import * as flow from '../login/flow.ts';
import { bindStateToBrowser, browserBindingOf } from './browser-binding.ts';
import { csrfValid } from './csrf.ts';
import type { PageContext } from './page-context.ts';
import { consentModel, emailModel, mireModel } from './view-models.ts';

export interface LoginRoutesOptions {
  flow: flow.LoginDependencies;
  csrfKey: Buffer;
  /** Cookies get `Secure` when the issuer is https. */
  secureCookies: boolean;
  context(
    request: FastifyRequest,
    reply: FastifyReply,
    options?: { uiLocales?: string | undefined; switchUrl?: string },
  ): PageContext;
}

const uidParams = z.object({ uid: z.string().min(1).max(64) });
const formBody = z.object({
  csrf: z.string().max(100).optional(),
  idp: z.string().max(64).optional(),
  decision: z.string().max(16).optional(),
  agree: z.string().max(8).optional(),
  code: z.string().max(8).optional(),
  identity: z.string().max(64).optional(),
  email: z.string().max(320).optional(),
  confirm: z.string().max(8).optional(),
});

/**
 * The hub's pages post HTML forms, urlencoded and nothing else: a JSON body (which fastify would
 * parse alike) is no form of ours, whatever it holds.
 */
function parseForm(request: FastifyRequest) {
  if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '')) {
    throw new RelaisError('R4004', { detail: 'not a form' });
  }
  return formBody.parse(request.body ?? {});
}

/**
 * A store failure mid-login (R5003, R5002) keeps the login's uid, so that its error page finds the
 * way back to the SP (from the browser's sealed copy: http/way-back-cookie.ts).
 */
const ofLogin =
  (uid: string | undefined) =>
  (caught: unknown): never => {
    if (
      uid &&
      caught instanceof RelaisError &&
      !caught.interactionUid &&
      (caught.code === 'R5003' || caught.code === 'R5002')
    ) {
      throw new RelaisError(caught.code, { detail: caught.detail, cause: caught.cause, interactionUid: uid });
    }
    throw caught;
  };

export function loginRoutes(app: FastifyInstance, options: LoginRoutesOptions): void {
  const { flow: deps, csrfKey } = options;

  /** The login this browser holds (oidc-provider's interaction cookie), or R4003 with the way back. */
  function heldLogin(request: FastifyRequest, reply: FastifyReply): string {
    const { uid } = uidParams.parse(request.params);
    if (!deps.interactions.heldBy(request.raw, reply.raw, uid)) {
      throw new RelaisError('R4003', { detail: 'not this browser’s login', interactionUid: uid });
    }
    return uid;
  }

  /** A form of the login's pages: this browser's login, and a CSRF token bound to it. */
  function readForm(request: FastifyRequest, reply: FastifyReply) {
    const uid = heldLogin(request, reply);
    const body = parseForm(request);
    if (!csrfValid(csrfKey, uid, body.csrf)) throw new RelaisError('R4004', { interactionUid: uid });
    return { uid, body };
  }

  function respond(request: FastifyRequest, reply: FastifyReply, step: flow.Step) {
    if ('redirect' in step) {
      if (step.bindIdpState) bindStateToBrowser(reply, step.bindIdpState, options.secureCookies);
      return reply.redirect(step.redirect, 303);
    }
    // The language switch stays on the login's page, wherever it was answered (the IdP callback).
    const context = options.context(request, reply, {
      uiLocales: step.login.request.uiLocales,
      switchUrl: `/interaction/${step.login.uid}`,
    });
    if (step.page === 'mire') return reply.view('mire.njk', mireModel(context, csrfKey, step));
    if (step.page === 'email') {
      if (step.problem === 'invalid') reply.status(400);
      return reply.view('email.njk', emailModel(context, csrfKey, step));
    }
    if (step.consent.agreementMissing) reply.status(400);
    return reply.view('consent.njk', consentModel(context, csrfKey, step));
  }

  app.get('/interaction/:uid', async (request, reply) => {
    const uid = heldLogin(request, reply);
    return respond(request, reply, await flow.showLogin(deps, uid).catch(ofLogin(uid)));
  });

  app.post('/interaction/:uid/idp', async (request, reply) => {
    const { uid, body } = readForm(request, reply);
    return respond(request, reply, await flow.chooseIdp(deps, uid, body.idp).catch(ofLogin(uid)));
  });

  app.post('/interaction/:uid/email', async (request, reply) => {
    const { uid, body } = readForm(request, reply);
    const form = { email: body.email, confirmed: body.confirm === 'yes' };
    return respond(request, reply, await flow.submitEmail(deps, uid, form).catch(ofLogin(uid)));
  });

  app.post('/interaction/:uid/cancel', async (request, reply) => {
    const { uid } = readForm(request, reply);
    return respond(request, reply, await flow.cancel(deps, uid).catch(ofLogin(uid)));
  });

  app.post('/interaction/:uid/consent', async (request, reply) => {
    const { uid, body } = readForm(request, reply);
    return respond(request, reply, await flow.giveConsent(deps, uid, body).catch(ofLogin(uid)));
  });

  app.post('/interaction/:uid/leave', async (request, reply) => {
    const { uid } = uidParams.parse(request.params);
    const body = parseForm(request);
    if (!csrfValid(csrfKey, uid, body.csrf)) throw new RelaisError('R4004');
    const code = body.code && isErrorCode(body.code) ? body.code : 'R4003';
    const held = deps.interactions.heldBy(request.raw, reply.raw, uid);
    return respond(
      request,
      reply,
      await flow.leave(deps, uid, new RelaisError(code), held).catch(ofLogin(uid)),
    );
  });

  app.get('/idp/callback', async (request, reply) => {
    const url = new URL(request.url, deps.callbackUrl);
    // Another browser's callback (a replay, a login CSRF) must not use up the citizen's transaction.
    // A reload of the consent page (answered here) lands here too: the session-expired page, with
    // the way back to the SP, which ends nothing of the login for a browser that does not hold it.
    // Without the binding cookie nothing is read; with one, the flow compares it to the login's.
    const state = url.searchParams.get('state');
    const binding = browserBindingOf(request, reply, state, options.secureCookies);
    if (!binding) {
      const interactionUid = flow.loginOfIdpState(state);
      throw new RelaisError('R4003', {
        detail: 'callback from a browser that did not start this login',
        ...(interactionUid ? { interactionUid } : {}),
      });
    }
    const uid = flow.loginOfIdpState(state) ?? undefined;
    return respond(request, reply, await flow.returnFromIdp(deps, url, binding).catch(ofLogin(uid)));
  });
}
