// The demo SP's one error table, and the one place openid-client errors are translated.
// FC v2 (seed 003): an error back at the SP must offer a way on, not just "an error occurred".
import { AuthorizationResponseError, ResponseBodyError, WWWAuthenticateChallengeError } from 'openid-client';

export const DEMO_SP_ERRORS = {
  /** The hub redirected an OAuth error (access_denied, …) to the callback. */
  authorization_error: { status: 400, title: 'La connexion n’a pas abouti' },
  /** A callback without a login in progress: expired, already used (back, refresh) or another browser. */
  login_not_found: {
    status: 400,
    title: 'Aucune connexion en cours',
    message:
      'Votre tentative de connexion a expiré ou a déjà été utilisée (par exemple après un retour en arrière ou un rafraîchissement de la page).',
  },
  /** The callback's state is not the one this browser's login sent: refused (login CSRF). */
  state_mismatch: {
    status: 400,
    title: 'Réponse refusée',
    message:
      'La réponse reçue ne correspond pas à la connexion commencée depuis ce navigateur. Par sécurité, elle a été ignorée.',
  },
  hub_unavailable: {
    status: 502,
    title: 'Service de connexion indisponible',
    message: 'Relais ne répond pas pour le moment. Réessayez dans quelques instants.',
  },
  /** Token, id_token or userinfo failed a check (signature, issuer, audience, nonce, sub…). */
  invalid_response: {
    status: 502,
    title: 'Réponse invalide',
    message: 'La réponse de Relais n’a pas pu être vérifiée. Par sécurité, la connexion a été interrompue.',
  },
  bad_request: {
    status: 400,
    title: 'Requête invalide',
    message: 'La requête reçue n’a pas pu être traitée.',
  },
  /** The id_token's acr is absent or not one of the acr_values the SP sent. */
  acr_mismatch: {
    status: 502,
    title: 'Niveau de garantie insuffisant',
    message: 'Le niveau de garantie de votre identité ne correspond pas à celui demandé par ce service.',
  },
  not_found: { status: 404, title: 'Page introuvable', message: 'Cette page n’existe pas.' },
  internal_error: {
    status: 500,
    title: 'Erreur inattendue',
    message: 'Le service a rencontré une erreur inattendue.',
  },
} as const;

export type DemoSpErrorCode = keyof typeof DEMO_SP_ERRORS;

/** What the hub's OAuth error codes mean for the citizen. Unknown codes get the default. */
const OAUTH_ERROR_MESSAGES: Record<string, string> = {
  access_denied: 'Vous avez annulé la connexion, ou l’accès a été refusé.',
  login_required: 'Vous devez vous identifier pour terminer la connexion.',
  consent_required: 'Votre accord est nécessaire pour transmettre vos informations à ce service.',
  interaction_required: 'Une action de votre part est nécessaire pour terminer la connexion.',
  invalid_request: 'La demande de connexion envoyée par ce service a été refusée. Vous n’y êtes pour rien.',
  invalid_scope: 'Ce service a demandé des informations qu’il n’est pas autorisé à recevoir.',
  unauthorized_client: 'Ce service n’est pas autorisé à utiliser cette méthode de connexion.',
  server_error: 'Relais a rencontré une erreur.',
  temporarily_unavailable: 'Relais ou votre fournisseur d’identité est momentanément indisponible.',
};
const DEFAULT_OAUTH_MESSAGE = 'La connexion n’a pas pu aboutir.';

export class DemoSpError extends Error {
  readonly code: DemoSpErrorCode;
  /** OAuth error and description received from the hub, shown to the citizen as text. */
  readonly oauthError: string | undefined;
  readonly oauthErrorDescription: string | undefined;

  constructor(
    code: DemoSpErrorCode,
    options: { cause?: unknown; oauthError?: string; oauthErrorDescription?: string } = {},
  ) {
    super(code, { cause: options.cause });
    this.name = 'DemoSpError';
    this.code = code;
    this.oauthError = options.oauthError;
    this.oauthErrorDescription = options.oauthErrorDescription;
  }

  get status(): number {
    return DEMO_SP_ERRORS[this.code].status;
  }

  get title(): string {
    return DEMO_SP_ERRORS[this.code].title;
  }

  get userMessage(): string {
    const entry = DEMO_SP_ERRORS[this.code];
    if ('message' in entry) return entry.message;
    return (this.oauthError && OAUTH_ERROR_MESSAGES[this.oauthError]) || DEFAULT_OAUTH_MESSAGE;
  }
}

/** Network failures and timeouts mean "try again later"; every other failure is a refused response. */
export function fromOpenIdClientError(err: unknown): DemoSpError {
  if (err instanceof DemoSpError) return err;
  if (err instanceof AuthorizationResponseError) {
    return new DemoSpError('authorization_error', {
      cause: err,
      oauthError: err.error,
      ...(err.error_description === undefined ? {} : { oauthErrorDescription: err.error_description }),
    });
  }
  if (err instanceof ResponseBodyError) {
    return new DemoSpError('invalid_response', { cause: err, oauthError: err.error });
  }
  if (err instanceof WWWAuthenticateChallengeError) {
    return new DemoSpError('invalid_response', { cause: err });
  }
  if (isUnreachable(err)) return new DemoSpError('hub_unavailable', { cause: err });
  return new DemoSpError('invalid_response', { cause: err });
}

function isUnreachable(err: unknown): boolean {
  // fetch() rejects with a bare TypeError('fetch failed'); openid-client codes its timeouts.
  if (err instanceof TypeError && err.message === 'fetch failed') return true;
  const code = err instanceof Error && 'code' in err ? err.code : undefined;
  return code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT';
}

/**
 * A one-line description of an error and its causes for the log: names, codes and messages only
 * (openid-client's messages are fixed strings; the data it attaches to `cause` is never printed).
 */
export function describeForLog(err: unknown, depth = 3): string | undefined {
  if (err === undefined) return undefined;
  if (!(err instanceof Error)) return typeof err;
  const code = 'code' in err && typeof err.code === 'string' ? ` [${err.code}]` : '';
  const cause = depth > 1 && err.cause instanceof Error ? ` ← ${describeForLog(err.cause, depth - 1)}` : '';
  return `${err.name}${code}: ${err.message}${cause}`;
}
