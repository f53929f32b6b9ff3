// The bundled demo data provider (fournisseur de données): a family-quotient API that an SP calls
// with the access token it got from Relais, and that asks Relais whether the token is valid and
// holds its scope. Fictitious data only. Reference code for API teams.
import { buildDemoDpApp } from './app.ts';
import { type DemoDpOptions, parseOptions } from './options.ts';
import { createTokenChecker } from './token-check.ts';

export { QUOTIENT_SCOPE } from './app.ts';
export type { DemoDpOptions } from './options.ts';
export { fictitiousQuotient, type QuotientFamilial } from './quotient.ts';

export interface DemoDp {
  /** The API's origin, e.g. http://localhost:3004; the resource is `${url}/v1/quotient-familial`. */
  readonly url: string;
  listen(): Promise<void>;
  close(): Promise<void>;
}

/** Checks the options (throws on a bad one) and builds the app; the hub is discovered at the first call. */
export async function createDemoDp(options: DemoDpOptions): Promise<DemoDp> {
  const settings = parseOptions(options);
  const app = buildDemoDpApp(settings, createTokenChecker(settings));
  return {
    url: settings.baseUrl,
    async listen() {
      await app.listen({ host: settings.listenHost, port: settings.listenPort });
    },
    async close() {
      await app.close();
    },
  };
}
