// The login page: GET /interaction/:uid, POST /interaction/:uid/login, POST /interaction/:uid/abort.
import type { IncomingMessage } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Context, Middleware } from 'koa';
import type { Interaction, InteractionResults, Provider } from 'oidc-provider';
import type { Acr, MisbehaviourSource } from './misbehaviour.ts';
import type { MockPerson, Population } from './population.ts';
import { renderPage } from './views.ts';

const ROUTE = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/;
const LEVELS: readonly Acr[] = ['eidas1', 'eidas2', 'eidas3'];
const MAX_FORM_BYTES = 8 * 1024;

interface InteractionOptions {
  provider: Provider;
  acrValues: readonly Acr[];
  population: Population;
  people: readonly MockPerson[];
  misbehaviour: MisbehaviourSource;
}

export function interactionRoutes(options: InteractionOptions): Middleware {
  return async (ctx, next) => {
    const match = ROUTE.exec(ctx.path);
    const uid = match?.[1];
    const action = match?.[2] ?? 'page';
    const expectedMethod = action === 'page' ? 'GET' : 'POST';
    if (!uid || ctx.method !== expectedMethod) return next();
    try {
      const details = await options.provider.interactionDetails(ctx.req, ctx.res);
      if (details.uid !== uid) throw new InteractionError('interaction and cookie do not match');
      if (action === 'login') await login(ctx, options, details);
      else if (action === 'abort') await finish(ctx, options.provider, ABORTED);
      else await showPage(ctx, options, details);
    } catch (error) {
      renderFailure(ctx, error);
    }
  };
}

const ABORTED: InteractionResults = {
  error: 'access_denied',
  error_description: 'End-User aborted interaction',
};

async function showPage(
  ctx: Context,
  options: InteractionOptions,
  details: Interaction,
  problem?: string,
): Promise<void> {
  const fault = options.misbehaviour().error;
  if (fault) return finish(ctx, options.provider, { ...fault });
  if (options.misbehaviour().forgedHubForm) return showForgedHubForm(ctx, details);
  // Grants are automatic (see account.ts); should consent still be asked, it is given silently.
  if (details.prompt.name !== 'login') return finish(ctx, options.provider, { consent: {} }, true);
  const clientId = stringParam(details.params, 'client_id');
  const client = clientId ? await options.provider.Client.find(clientId) : undefined;
  const loginHint = stringParam(details.params, 'login_hint');
  renderPage(
    ctx,
    'login.njk',
    {
      uid: details.uid,
      clientName: client?.clientName ?? clientId,
      requestedAcr: stringParam(details.params, 'acr_values'),
      loginHint,
      siretHint: stringParam(details.params, 'siret_hint'),
      hintedId: loginHint ? hintedPerson(options.people, loginHint)?.id : undefined,
      population: options.population,
      identities: options.people,
      problem,
    },
    problem ? 400 : 200,
  );
}

async function login(ctx: Context, options: InteractionOptions, details: Interaction): Promise<void> {
  const form = await readForm(ctx.req);
  const person = options.people.find((candidate) => candidate.id === form['identity']);
  if (!person) {
    return showPage(ctx, options, details, 'Identité inconnue : choisissez une identité de la liste.');
  }
  const fault = options.misbehaviour();
  const acr = fault.acr ?? deliveredAcr(stringParam(details.params, 'acr_values'), options.acrValues);
  const amr = fault.amr ? [...fault.amr] : defaultAmr(acr);
  await finish(ctx, options.provider, { login: { accountId: person.sub, acr, amr, remember: false } });
}

/**
 * Demo sandbox (misbehaviour `forgedHubForm`): a page whose button posts a consent to the hub's
 * login (its uid is the part of the hub's state before the last dot) with a CSRF token the hub never
 * issued. The hub's origin is the redirect_uri's.
 */
function showForgedHubForm(ctx: Context, details: Interaction): void {
  const redirectUri = stringParam(details.params, 'redirect_uri');
  const state = stringParam(details.params, 'state') ?? '';
  const hubUid = state.slice(0, Math.max(0, state.lastIndexOf('.')));
  if (!redirectUri || !/^[\w-]{1,64}$/.test(hubUid)) {
    throw new InteractionError('forgedHubForm: the client is not a Relais hub (no uid in its state)');
  }
  const action = new URL(`/interaction/${hubUid}/consent`, redirectUri).href;
  renderPage(ctx, 'forged-hub-form', { action }, 200, FORGED_HUB_FORM);
}

const FORGED_HUB_FORM = `{% extends "layout.njk" %}
{% block title %}Retour vers Relais — Mock IdP{% endblock %}
{% block content %}
<div class="card">
  <h1>Bac à sable : formulaire contrefait</h1>
  <p class="notice">Ce fournisseur d’identité de démonstration a été piégé pour une connexion : au lieu
    de vous authentifier, il envoie à Relais un accord que Relais n’a jamais demandé (jeton CSRF
    contrefait). Relais doit le refuser (R4004).</p>
  <form method="post" action="{{ action }}">
    <input type="hidden" name="csrf" value="jeton-contrefait-par-le-bac-a-sable">
    <input type="hidden" name="decision" value="accept">
    <button class="primary" type="submit">Continuer vers Relais</button>
  </form>
</div>
{% endblock %}
`;

/** A password alone at eidas1, a second factor above. */
function defaultAmr(acr: Acr): string[] {
  return acr === 'eidas1' ? ['pwd'] : ['pwd', 'mfa'];
}

/** The person `login_hint` names by email; the page marks them, the user may still pick anyone. */
function hintedPerson(people: readonly MockPerson[], loginHint: string): MockPerson | undefined {
  const email = loginHint.trim().toLowerCase();
  return people.find((person) => person.claims.email.toLowerCase() === email);
}

/** The strongest level both requested and deliverable; the strongest deliverable if none is. */
export function deliveredAcr(requested: string | undefined, supported: readonly Acr[]): Acr {
  const asked = (requested ?? '')
    .split(' ')
    .filter((value): value is Acr => supported.some((s) => s === value));
  const pool = asked.length > 0 ? asked : supported;
  return pool.reduce((best, level) => (LEVELS.indexOf(level) > LEVELS.indexOf(best) ? level : best));
}

async function finish(
  ctx: Context,
  provider: Provider,
  result: InteractionResults,
  mergeWithLastSubmission = false,
): Promise<void> {
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission });
  ctx.status = 303;
  ctx.redirect(returnTo);
}

async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_FORM_BYTES) throw new InteractionError('form too large');
    chunks.push(buffer);
  }
  const form: Record<string, string> = {};
  for (const [key, value] of Object.entries(parseQuery(Buffer.concat(chunks).toString('utf8')))) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') form[key] = first;
  }
  return form;
}

function stringParam(params: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

class InteractionError extends Error {
  readonly statusCode = 400;
  readonly error = 'invalid_request';
  get error_description(): string {
    return this.message;
  }
}

/** oidc-provider errors carry a safe `error`/`error_description`; anything else stays generic. */
function renderFailure(ctx: Context, failure: unknown): void {
  const known =
    typeof failure === 'object' && failure !== null && typeof Reflect.get(failure, 'error') === 'string';
  const status = known ? Number(Reflect.get(failure, 'statusCode') ?? 400) : 500;
  // A bug in the mock itself: say which, without the request (it may carry identity data).
  if (!known)
    console.error(
      'mock IdP: interaction failed:',
      failure instanceof Error ? failure.message : 'unknown error',
    );
  renderPage(
    ctx,
    'error.njk',
    {
      error: known ? Reflect.get(failure, 'error') : 'server_error',
      description: known ? Reflect.get(failure, 'error_description') : undefined,
    },
    status,
  );
}
