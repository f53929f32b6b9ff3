// The single error table. A code is stable: it is documented in the README, asserted by the
// end-to-end tests, and never reused once retired. What the citizen reads about each code is in
// the message catalogues (views/messages/*.json, `errors.<code>`).

export interface ErrorEntry {
  /** HTTP status of the hub page when the error is shown on the hub. */
  status: number;
  /** OAuth error sent to the SP's redirect_uri once client and redirect URI are trusted. */
  oauth: string;
  /** What the SP reads in error_description (no personal data, ever). */
  description: string;
}

export const ERRORS = {
  R1001: {
    status: 400,
    oauth: 'invalid_client',
    description: 'unknown or inactive client_id',
  },
  R1002: {
    status: 400,
    oauth: 'invalid_request',
    description: 'redirect_uri is not registered for this client',
  },
  R1003: {
    status: 400,
    oauth: 'invalid_scope',
    description: 'scope must contain openid',
  },
  R1004: {
    status: 400,
    oauth: 'invalid_scope',
    description: 'the address and phone scopes are not available (FranceConnect v2)',
  },
  R1005: {
    status: 400,
    oauth: 'invalid_scope',
    description: 'a requested scope is not authorised for this client',
  },
  R1006: {
    status: 400,
    oauth: 'invalid_request',
    description: 'state is required',
  },
  R1007: {
    status: 400,
    oauth: 'invalid_request',
    description: 'nonce is required and must be at least 22 characters',
  },
  R1008: {
    status: 400,
    oauth: 'invalid_request',
    description: 'prompt must contain login and consent',
  },
  R1009: {
    status: 400,
    oauth: 'invalid_request',
    description: 'acr_values is required',
  },
  R1010: {
    status: 400,
    oauth: 'invalid_request',
    description: 'acr_values contains a level this client may not request',
  },
  R1011: {
    status: 400,
    oauth: 'invalid_request',
    description: 'no identity provider available to this client can deliver the requested acr_values',
  },
  R1012: {
    status: 400,
    oauth: 'invalid_request',
    description:
      'idp_hint names an identity provider that is unknown, inactive or not allowed for this client',
  },
  R1013: {
    status: 400,
    oauth: 'invalid_request',
    description: 'the authorization request is invalid',
  },
  R1015: {
    status: 400,
    oauth: 'invalid_request',
    description: 'a request parameter is too long',
  },
  R1016: {
    status: 400,
    oauth: 'invalid_request',
    description: 'this level requires the id_token and userinfo encrypted to you: register an encryption key',
  },
  R2001: {
    status: 400,
    oauth: 'access_denied',
    description: 'the identity provider did not authenticate the user',
  },
  R2002: {
    status: 502,
    oauth: 'temporarily_unavailable',
    description: 'the identity provider is unavailable',
  },
  R2003: {
    status: 502,
    oauth: 'server_error',
    description: 'the identity provider answered with an invalid response',
  },
  R2004: {
    status: 400,
    oauth: 'access_denied',
    description: 'the identity provider did not reach the requested acr level',
  },
  R2005: {
    status: 400,
    oauth: 'invalid_request',
    description: 'the chosen identity provider is unknown, inactive or not allowed for this client',
  },
  R2006: {
    status: 403,
    oauth: 'access_denied',
    description:
      'this service requires a second authentication factor, which the identity provider did not provide',
  },
  R2007: {
    status: 400,
    oauth: 'access_denied',
    description: 'no identity provider serves this email domain',
  },
  R2008: {
    status: 403,
    oauth: 'access_denied',
    description: 'this service admits public sector agents only',
  },
  R3001: {
    status: 400,
    oauth: 'access_denied',
    description: 'the identity returned by the identity provider is incomplete or invalid',
  },
  R3002: {
    status: 400,
    oauth: 'access_denied',
    description: 'the identity provider asserted an email outside its domains',
  },
  R4001: {
    status: 400,
    oauth: 'access_denied',
    description: 'the user cancelled the login',
  },
  R4002: {
    status: 400,
    oauth: 'access_denied',
    description: 'the user refused to share the data',
  },
  R4003: {
    status: 400,
    oauth: 'login_required',
    description: 'the login session expired or is unknown',
  },
  R4004: {
    status: 403,
    oauth: 'login_required',
    description: 'the form could not be verified',
  },
  R4005: {
    status: 404,
    oauth: 'invalid_request',
    description: 'not found',
  },
  R5000: {
    status: 500,
    oauth: 'server_error',
    description: 'internal error',
  },
  R5001: {
    status: 429,
    oauth: 'temporarily_unavailable',
    description: 'too many requests: retry after the time given in Retry-After',
  },
  R5002: {
    status: 503,
    oauth: 'temporarily_unavailable',
    description: 'the hub is saturated: retry in a moment',
  },
  R5003: {
    status: 503,
    oauth: 'temporarily_unavailable',
    description: 'the hub cannot reach its session store: retry in a moment',
  },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERRORS, value);
}

/** An error_description carries its Relais code last, in brackets: `… [R1006]`. */
export function withCode(description: string, code: ErrorCode): string {
  return `${description} [${code}]`;
}

const CODED = /\[(R\d{4})\]$/;

/** The Relais code at the end of an error_description (see withCode), if it is one of the table. */
export function codeOf(description: string | undefined): ErrorCode | undefined {
  const code = CODED.exec(description ?? '')?.[1];
  return code !== undefined && isErrorCode(code) ? code : undefined;
}

/** The hub's one error type: a code from the table, the original cause for the logs. */
export class RelaisError extends Error {
  readonly code: ErrorCode;
  /** Extra words for error_description, never personal data. */
  readonly detail: string | undefined;
  /** The interaction still open when the error happened: its page can offer the way back to the SP. */
  readonly interactionUid: string | undefined;

  constructor(code: ErrorCode, options: { detail?: string; cause?: unknown; interactionUid?: string } = {}) {
    super(`${code}: ${ERRORS[code].description}${options.detail ? ` (${options.detail})` : ''}`, {
      cause: options.cause,
    });
    this.name = 'RelaisError';
    this.code = code;
    this.detail = options.detail;
    this.interactionUid = options.interactionUid;
  }

  get entry(): ErrorEntry {
    return ERRORS[this.code];
  }

  /** error_description for the SP: the table's text, the code, and the detail when there is one. */
  get description(): string {
    return withCode(`${ERRORS[this.code].description}${this.detail ? `: ${this.detail}` : ''}`, this.code);
  }
}

export function asRelaisError(error: unknown): RelaisError {
  return error instanceof RelaisError ? error : new RelaisError('R5000', { cause: error });
}
