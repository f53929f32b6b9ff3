// Everything openid-client: the hub's discovery (cached) and the introspection of an SP's access
// token (RFC 7662), authenticated as a data provider of the federation.
import * as client from 'openid-client';
import { z } from 'zod';
import type { DemoDpSettings } from './options.ts';

/** What the hub said about a token: for whom, for which SP, and which of our scopes it holds. */
export type TokenCheck =
  | { readonly active: false }
  | {
      readonly active: true;
      readonly sub: string;
      readonly clientId: string;
      /** Only the scopes this data provider serves: the hub hides the token's others. */
      readonly scopes: readonly string[];
    };

export interface TokenChecker {
  check(accessToken: string): Promise<TokenCheck>;
}

/** The hub could not be asked (unreachable, refused our credentials, answered nonsense). */
export class TokenCheckError extends Error {
  constructor(options: { cause: unknown }) {
    super('demo-dp: the hub could not check the token', options);
    this.name = 'TokenCheckError';
  }
}

const HTTP_TIMEOUT_SECONDS = 5;

// An introspection answer is input like any other: parsed, never cast.
const introspectionAnswer = z.discriminatedUnion('active', [
  z.object({ active: z.literal(false) }),
  z.object({
    active: z.literal(true),
    sub: z.string().min(1),
    client_id: z.string().min(1),
    scope: z.string().default(''),
    /** An access token says Bearer; anything else (a refresh token) is no key to the data. */
    token_type: z.string().optional(),
  }),
]);

export function createTokenChecker(settings: DemoDpSettings): TokenChecker {
  const configuration = configurationCache(settings);
  return {
    async check(accessToken) {
      const config = await configuration.get();
      try {
        const answer = introspectionAnswer.parse(await client.tokenIntrospection(config, accessToken));
        if (!answer.active || answer.token_type?.toLowerCase() !== 'bearer') return { active: false };
        return {
          active: true,
          sub: answer.sub,
          clientId: answer.client_id,
          scopes: answer.scope.split(' ').filter(Boolean),
        };
      } catch (err) {
        // Keys, endpoints or our credentials may have changed: discover again next time.
        configuration.invalidate();
        throw new TokenCheckError({ cause: err });
      }
    },
  };
}

/** Discovered at first use and kept; dropped after a failure so that the next request discovers again. */
function configurationCache(settings: DemoDpSettings) {
  let pending: Promise<client.Configuration> | undefined;

  function discover(): Promise<client.Configuration> {
    // Plain http only toward a loopback issuer (checked in parseOptions): tests and the local demo.
    const execute = settings.allowHttpIssuer ? [client.allowInsecureRequests] : [];
    return client.discovery(
      settings.issuer,
      settings.clientId,
      {},
      client.ClientSecretPost(settings.clientSecret),
      {
        execute,
        timeout: HTTP_TIMEOUT_SECONDS,
      },
    );
  }

  return {
    async get(): Promise<client.Configuration> {
      const current = pending ?? discover();
      pending = current;
      try {
        return await current;
      } catch (err) {
        // Only our own attempt: another request may already have started a new discovery.
        if (pending === current) pending = undefined;
        throw new TokenCheckError({ cause: err });
      }
    },
    invalidate(): void {
      pending = undefined;
    },
  };
}
