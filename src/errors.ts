// The single error table. A code is stable: it is documented in the README, asserted by the
// end-to-end tests, and never reused once retired.

export interface ErrorEntry {
  /** HTTP status of the hub page when the error is shown on the hub. */
  status: number;
  /** OAuth error sent to the SP's redirect_uri once client and redirect URI are trusted. */
  oauth: string;
  /** What the SP reads in error_description (no personal data, ever). */
  description: string;
  /** What the citizen reads. */
  message: { fr: string; en: string };
}

export const ERRORS = {
  R1001: {
    status: 400,
    oauth: 'invalid_client',
    description: 'unknown or inactive client_id',
    message: {
      fr: 'Le service qui vous a envoyé ici n’est pas reconnu. Retournez sur son site et réessayez.',
      en: 'The service that sent you here is not recognised. Go back to its site and try again.',
    },
  },
  R1002: {
    status: 400,
    oauth: 'invalid_request',
    description: 'redirect_uri is not registered for this client',
    message: {
      fr: 'L’adresse de retour demandée par le service n’est pas autorisée. Retournez sur son site et réessayez.',
      en: 'The return address requested by the service is not allowed. Go back to its site and try again.',
    },
  },
  R1003: {
    status: 400,
    oauth: 'invalid_scope',
    description: 'scope must contain openid',
    message: requestMessage(),
  },
  R1004: {
    status: 400,
    oauth: 'invalid_scope',
    description: 'the address and phone scopes are not available (FranceConnect v2)',
    message: requestMessage(),
  },
  R1005: {
    status: 400,
    oauth: 'invalid_scope',
    description: 'a requested scope is not authorised for this client',
    message: requestMessage(),
  },
  R1006: {
    status: 400,
    oauth: 'invalid_request',
    description: 'state is required',
    message: requestMessage(),
  },
  R1007: {
    status: 400,
    oauth: 'invalid_request',
    description: 'nonce is required and must be at least 22 characters',
    message: requestMessage(),
  },
  R1008: {
    status: 400,
    oauth: 'invalid_request',
    description: 'prompt must contain login and consent',
    message: requestMessage(),
  },
  R1009: {
    status: 400,
    oauth: 'invalid_request',
    description: 'acr_values is required',
    message: requestMessage(),
  },
  R1010: {
    status: 400,
    oauth: 'invalid_request',
    description: 'acr_values contains a level this client may not request',
    message: requestMessage(),
  },
  R1011: {
    status: 400,
    oauth: 'invalid_request',
    description: 'no identity provider available to this client can deliver the requested acr_values',
    message: {
      fr: 'Aucun compte proposé ne permet d’atteindre le niveau de sécurité demandé par ce service.',
      en: 'None of the accounts offered reaches the security level this service asks for.',
    },
  },
  R1012: {
    status: 400,
    oauth: 'invalid_request',
    description:
      'idp_hint names an identity provider that is unknown, inactive or not allowed for this client',
    message: requestMessage(),
  },
  R1013: {
    status: 400,
    oauth: 'invalid_request',
    description: 'the authorization request is invalid',
    message: requestMessage(),
  },
  R2001: {
    status: 400,
    oauth: 'access_denied',
    description: 'the identity provider did not authenticate the user',
    message: {
      fr: 'La connexion auprès de votre compte n’a pas abouti.',
      en: 'Signing in with your account did not succeed.',
    },
  },
  R2002: {
    status: 502,
    oauth: 'temporarily_unavailable',
    description: 'the identity provider is unavailable',
    message: {
      fr: 'Le compte choisi est momentanément indisponible. Réessayez dans quelques minutes ou choisissez un autre compte.',
      en: 'The chosen account is unavailable for now. Try again in a few minutes or choose another account.',
    },
  },
  R2003: {
    status: 502,
    oauth: 'server_error',
    description: 'the identity provider answered with an invalid response',
    message: {
      fr: 'Le compte choisi a renvoyé une réponse que Relais ne peut pas accepter. Choisissez un autre compte.',
      en: 'The chosen account sent an answer Relais cannot accept. Choose another account.',
    },
  },
  R2004: {
    status: 400,
    oauth: 'access_denied',
    description: 'the identity provider did not reach the requested acr level',
    message: {
      fr: 'Le compte choisi n’a pas atteint le niveau de sécurité demandé par le service.',
      en: 'The chosen account did not reach the security level the service asks for.',
    },
  },
  R2005: {
    status: 400,
    oauth: 'invalid_request',
    description: 'the chosen identity provider is unknown, inactive or not allowed for this client',
    message: {
      fr: 'Ce compte ne peut pas être utilisé pour ce service. Choisissez-en un autre.',
      en: 'This account cannot be used for this service. Choose another one.',
    },
  },
  R3001: {
    status: 400,
    oauth: 'access_denied',
    description: 'the identity returned by the identity provider is incomplete or invalid',
    message: {
      fr: 'Les informations transmises par votre compte sont incomplètes. Contactez le fournisseur de ce compte ou choisissez-en un autre.',
      en: 'The information sent by your account is incomplete. Contact the provider of that account or choose another one.',
    },
  },
  R4001: {
    status: 400,
    oauth: 'access_denied',
    description: 'the user cancelled the login',
    message: { fr: 'Vous avez annulé la connexion.', en: 'You cancelled the login.' },
  },
  R4002: {
    status: 400,
    oauth: 'access_denied',
    description: 'the user refused to share the data',
    message: {
      fr: 'Vous avez refusé de transmettre vos données.',
      en: 'You refused to share your data.',
    },
  },
  R4003: {
    status: 400,
    oauth: 'login_required',
    description: 'the login session expired or is unknown',
    message: {
      fr: 'Votre session a expiré ou cette page a déjà été utilisée. Retournez sur le site du service pour recommencer.',
      en: 'Your session has expired or this page was already used. Go back to the service’s site to start again.',
    },
  },
  R4004: {
    status: 403,
    oauth: 'login_required',
    description: 'the form could not be verified',
    message: {
      fr: 'Ce formulaire n’a pas pu être vérifié. Retournez sur le site du service pour recommencer.',
      en: 'This form could not be verified. Go back to the service’s site to start again.',
    },
  },
  R4005: {
    status: 404,
    oauth: 'invalid_request',
    description: 'not found',
    message: { fr: 'Cette page n’existe pas.', en: 'This page does not exist.' },
  },
  R5000: {
    status: 500,
    oauth: 'server_error',
    description: 'internal error',
    message: {
      fr: 'Une erreur technique est survenue. Réessayez dans quelques minutes.',
      en: 'A technical error occurred. Try again in a few minutes.',
    },
  },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof ERRORS;

function requestMessage(): ErrorEntry['message'] {
  return {
    fr: 'Le service qui vous a envoyé ici a fait une demande incorrecte. Retournez sur son site et réessayez.',
    en: 'The service that sent you here made an incorrect request. Go back to its site and try again.',
  };
}

/** The hub's one error type: a code from the table, the original cause for the logs. */
export class RelaisError extends Error {
  readonly code: ErrorCode;
  /** Extra words for error_description, never personal data. */
  readonly detail: string | undefined;

  constructor(code: ErrorCode, options: { detail?: string; cause?: unknown } = {}) {
    super(`${code}: ${ERRORS[code].description}${options.detail ? ` (${options.detail})` : ''}`, {
      cause: options.cause,
    });
    this.name = 'RelaisError';
    this.code = code;
    this.detail = options.detail;
  }

  get entry(): ErrorEntry {
    return ERRORS[this.code];
  }

  /** error_description for the SP: the table's text, the code, and the detail when there is one. */
  get description(): string {
    return `${ERRORS[this.code].description}${this.detail ? `: ${this.detail}` : ''} [${this.code}]`;
  }
}

export function asRelaisError(error: unknown): RelaisError {
  return error instanceof RelaisError ? error : new RelaisError('R5000', { cause: error });
}
