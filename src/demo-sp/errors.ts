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

/**
 * What this SP does with each Relais code (README, "Every error an SP can receive"): the
 * citizen's message, and the way on it offers. `retry`: try again with Relais (maybe another
 * account); `later`: try again in a few minutes; `other`: a retry would fail the same way (our
 * request is at fault), so only the other ways into the service. Every case keeps those.
 */
export type WayOn = 'retry' | 'later' | 'other';

export interface Handling {
  readonly title: string;
  readonly message: string;
  readonly wayOn: WayOn;
}

const OUR_REQUEST: Handling = {
  title: 'Connexion momentanément impossible',
  message:
    'Relais a refusé la demande de connexion de ce service : vous n’y êtes pour rien, et notre équipe technique est prévenue. En attendant, accédez au service autrement.',
  wayOn: 'other',
};
const IDP_FAILED = (message: string): Handling => ({
  title: 'La connexion n’a pas abouti',
  message: `${message} Vous pouvez réessayer, avec ce compte ou un autre, ou accéder au service autrement.`,
  wayOn: 'retry',
});
const UNAVAILABLE: Handling = {
  title: 'Connexion momentanément indisponible',
  message:
    'Le service de connexion est momentanément indisponible. Réessayez dans quelques minutes, ou accédez au service autrement.',
  wayOn: 'later',
};
const START_AGAIN: Handling = {
  title: 'Connexion interrompue',
  message: 'Votre connexion a expiré ou n’a pas pu être vérifiée. Recommencez-la depuis ce service.',
  wayOn: 'retry',
};

export const RELAIS_CODE_HANDLING: Readonly<Record<string, Handling>> = {
  R1003: OUR_REQUEST,
  R1004: OUR_REQUEST,
  R1005: OUR_REQUEST,
  R1006: OUR_REQUEST,
  R1007: OUR_REQUEST,
  R1008: OUR_REQUEST,
  R1009: OUR_REQUEST,
  R1010: OUR_REQUEST,
  R1011: {
    ...OUR_REQUEST,
    message:
      'Aucun compte proposé par Relais n’offre le niveau de sécurité demandé par ce service. Accédez au service autrement.',
  },
  // A bad hint: the mire (a login without it) still works.
  R1012: {
    title: 'La connexion n’a pas abouti',
    message:
      'Le compte présélectionné par ce service n’est pas disponible. Réessayez en choisissant votre compte.',
    wayOn: 'retry',
  },
  R1013: OUR_REQUEST,
  R1015: OUR_REQUEST,
  R1016: OUR_REQUEST,
  R2001: IDP_FAILED(
    'Votre fournisseur d’identité ne vous a pas authentifié(e) (connexion annulée ou refusée).',
  ),
  R2002: {
    ...UNAVAILABLE,
    message:
      'Votre fournisseur d’identité ne répond pas pour le moment. Réessayez dans quelques minutes, avec ce compte ou un autre, ou accédez au service autrement.',
  },
  R2003: IDP_FAILED('La réponse de votre fournisseur d’identité n’a pas pu être vérifiée.'),
  R2004: IDP_FAILED('Le compte utilisé n’offre pas le niveau de sécurité demandé par ce service.'),
  R2005: IDP_FAILED('Le compte choisi n’est pas proposé pour ce service.'),
  R2006: {
    title: 'Double authentification requise',
    message:
      'Ce service exige une double authentification : activez-la auprès de votre fournisseur d’identité, puis réessayez.',
    wayOn: 'retry',
  },
  R2007: IDP_FAILED('Aucun fournisseur d’identité ne prend en charge votre adresse électronique.'),
  R2008: {
    title: 'Service réservé aux agents publics',
    message:
      'Ce service est réservé aux agents publics : connectez-vous avec votre adresse professionnelle publique.',
    wayOn: 'retry',
  },
  R3001: IDP_FAILED(
    'Les informations d’identité transmises par votre fournisseur d’identité sont incomplètes ou invalides : signalez-le à ce fournisseur.',
  ),
  R3002: IDP_FAILED(
    'Votre fournisseur d’identité a transmis une adresse électronique qui ne lui appartient pas.',
  ),
  // The citizen's own choices: said plainly, not as a fault.
  R4001: {
    title: 'Connexion annulée',
    message:
      'Vous avez annulé la connexion. Vous pouvez la reprendre quand vous voulez, ou accéder au service autrement.',
    wayOn: 'retry',
  },
  R4002: {
    title: 'Connexion non terminée',
    message:
      'Vous avez choisi de ne pas transmettre vos informations : ce service ne peut pas vous identifier sans elles. Vous pouvez réessayer, ou accéder au service autrement.',
    wayOn: 'retry',
  },
  R4003: START_AGAIN,
  R4004: START_AGAIN,
  R5000: UNAVAILABLE,
  R5001: UNAVAILABLE,
  R5002: UNAVAILABLE,
  R5003: UNAVAILABLE,
};

/** The Relais code ending an error_description (`… [R1006]`), when there is one. */
export function relaisCodeOf(description: string | undefined): string | undefined {
  return /\[(R\d{4})\]$/.exec(description ?? '')?.[1];
}

/** This SP's handling of an error redirected by Relais: by its code, else by its OAuth error. */
export function handlingOf(oauthError: string | undefined, description: string | undefined): Handling {
  const code = relaisCodeOf(description);
  const known = code === undefined ? undefined : RELAIS_CODE_HANDLING[code];
  if (known) return known;
  return {
    title: DEMO_SP_ERRORS.authorization_error.title,
    message: (oauthError && OAUTH_ERROR_MESSAGES[oauthError]) || DEFAULT_OAUTH_MESSAGE,
    wayOn: 'retry',
  };
}

/** The rest of an error redirected to the callback: its `state` and `iss`, both checked by then. */
export interface ReceivedResponse {
  readonly state: string | undefined;
  readonly iss: string | undefined;
  /** The sandbox scenario that started this login, if any. */
  readonly scenario: string | undefined;
}

export class DemoSpError extends Error {
  readonly code: DemoSpErrorCode;
  /** OAuth error and description received from the hub, shown to the citizen as text. */
  readonly oauthError: string | undefined;
  readonly oauthErrorDescription: string | undefined;
  readonly received: ReceivedResponse | undefined;

  constructor(
    code: DemoSpErrorCode,
    options: {
      cause?: unknown;
      oauthError?: string | undefined;
      oauthErrorDescription?: string | undefined;
      received?: ReceivedResponse;
    } = {},
  ) {
    super(code, { cause: options.cause });
    this.name = 'DemoSpError';
    this.code = code;
    this.oauthError = options.oauthError;
    this.oauthErrorDescription = options.oauthErrorDescription;
    this.received = options.received;
  }

  get status(): number {
    return DEMO_SP_ERRORS[this.code].status;
  }

  get title(): string {
    if (this.code === 'authorization_error')
      return handlingOf(this.oauthError, this.oauthErrorDescription).title;
    return DEMO_SP_ERRORS[this.code].title;
  }

  get userMessage(): string {
    const entry = DEMO_SP_ERRORS[this.code];
    if ('message' in entry) return entry.message;
    return handlingOf(this.oauthError, this.oauthErrorDescription).message;
  }

  /** The way on the page offers: an error Relais redirected says which; the others may retry. */
  get wayOn(): WayOn {
    if (this.code === 'authorization_error')
      return handlingOf(this.oauthError, this.oauthErrorDescription).wayOn;
    return this.code === 'not_found' ? 'other' : 'retry';
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
