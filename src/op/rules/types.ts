import type { IdentityProvider, ServiceProvider } from '../../config/federation.ts';
import type { RelaisError } from '../../errors.ts';
import type { ScopeClaims } from '../scopes.ts';

/** The authorization request as the rules see it: raw string parameters. */
export type AuthorizationParams = Readonly<Record<string, string | undefined>>;

export interface RuleContext {
  sp: ServiceProvider;
  /** The active IdPs this SP may use. */
  identityProviders: readonly IdentityProvider[];
  /** The profile's scopes and the claims they release. */
  scopeClaims: ScopeClaims;
  /** The data providers' scopes: known too (an SP may ask them only when authorised). */
  dataScopes?: ReadonlySet<string>;
  /** From this level on, the SP must have its id_token and userinfo encrypted (FranceConnect+). */
  encryptionRequiredFrom?: 'eidas2' | 'eidas3' | undefined;
}

/** A request rule (FranceConnect v2's, or ProConnect's): returns the error to send the SP, or undefined. */
export type RequestRule = (params: AuthorizationParams, context: RuleContext) => RelaisError | undefined;
