// An SP calling a data provider (fournisseur de données) with the access token of a login, as the
// demo does with its quotient familial API. The outcome is returned, never thrown: a data provider
// that fails does not undo a login. The token goes in the Authorization header and nowhere else.
import { z } from 'zod';

export type DataProviderAnswer =
  | { readonly ok: true; readonly resource: string; readonly fields: Readonly<Record<string, unknown>> }
  | {
      readonly ok: false;
      readonly resource: string;
      /** The HTTP status, undefined when no answer came (unreachable, timeout). */
      readonly status: number | undefined;
      readonly error: string;
    };

const TIMEOUT_MS = 3000;

const fieldsBody = z.record(z.string(), z.unknown());
const errorBody = z.object({ error: z.string().min(1), error_description: z.string().optional() });

export async function callDataProvider(
  resource: URL,
  accessToken: string,
  options: { fetch?: typeof fetch } = {},
): Promise<DataProviderAnswer> {
  const failure = (status: number | undefined, error: string): DataProviderAnswer => ({
    ok: false,
    resource: resource.href,
    status,
    error,
  });
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(resource, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      // A redirect is a failure: the token is for this resource only.
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    return failure(undefined, timedOut ? `pas de réponse en ${TIMEOUT_MS / 1000} s` : 'injoignable');
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (response.ok) {
    const fields = fieldsBody.safeParse(body);
    if (!fields.success) return failure(response.status, 'réponse illisible (un objet JSON était attendu)');
    return { ok: true, resource: resource.href, fields: fields.data };
  }
  // RFC 6750: the error code is in the JSON body, or else in the WWW-Authenticate challenge.
  const error = errorBody.safeParse(body);
  if (error.success) {
    const { error: code, error_description: description } = error.data;
    return failure(response.status, description ? `${code} — ${description}` : code);
  }
  const challenged = /error="([^"]*)"/.exec(response.headers.get('www-authenticate') ?? '')?.[1];
  return failure(response.status, challenged || response.statusText || 'erreur');
}
