// A registry SP as oidc-provider's client metadata: authorization code only, signed userinfo.
import { type DataProvider, type ServiceProvider, splitScope } from '../config/federation.ts';

/** Refresh tokens only for an SP explicitly authorised offline_access (its DataPass scope). */
export function grantTypesOf(sp: ServiceProvider): string[] {
  return splitScope(sp.scope).includes('offline_access')
    ? ['authorization_code', 'refresh_token']
    : ['authorization_code'];
}

export function toClientMetadata(sp: ServiceProvider | undefined): Record<string, unknown> | undefined {
  if (!sp) return undefined;
  return {
    client_id: sp.client_id,
    client_name: sp.client_name,
    ...(sp.client_secret ? { client_secret: sp.client_secret } : {}),
    ...(sp.jwks_uri ? { jwks_uri: sp.jwks_uri } : {}),
    ...(sp.jwks ? { jwks: sp.jwks } : {}),
    redirect_uris: sp.redirect_uris,
    subject_type: 'pairwise',
    // oidc-provider wants a sector URI for pairwise SPs with several redirect hosts. The hub's
    // sector is the registry's sector_identifier (the sub is derived from it at consent); this
    // placeholder is never fetched (sectorIdentifierUriValidate is off).
    sector_identifier_uri: `https://sector.relais.invalid/${encodeURIComponent(sp.sector_identifier ?? sp.client_id)}`,
    post_logout_redirect_uris: sp.post_logout_redirect_uris,
    // oidc-provider then puts `sid` in the id_token; the hub sends the logout tokens itself
    // (op/back-channel-logout.ts), never while the citizen waits.
    ...(sp.backchannel_logout_uri
      ? {
          backchannel_logout_uri: sp.backchannel_logout_uri,
          backchannel_logout_session_required: sp.backchannel_logout_session_required,
        }
      : {}),
    response_types: ['code'],
    grant_types: grantTypesOf(sp),
    token_endpoint_auth_method: sp.token_endpoint_auth_method,
    id_token_signed_response_alg: sp.id_token_signed_response_alg,
    // FC v2: userinfo is always a signed JWT.
    userinfo_signed_response_alg: sp.userinfo_signed_response_alg,
    // FranceConnect+: signed here, then encrypted by the hub to the SP's key when it asks
    // (op/encrypt-responses.ts), not by oidc-provider: the encryption fields stay in the registry.
  };
}

/**
 * A data provider as oidc-provider's client: it only authenticates at /introspect (and
 * checktoken); no redirect URI, no response or grant type, so it can start no login nor get a token.
 */
export function toDataProviderMetadata(dp: DataProvider | undefined): Record<string, unknown> | undefined {
  if (!dp) return undefined;
  return {
    client_id: dp.client_id,
    client_name: dp.name,
    ...(dp.client_secret ? { client_secret: dp.client_secret } : {}),
    ...(dp.jwks_uri ? { jwks_uri: dp.jwks_uri } : {}),
    ...(dp.jwks ? { jwks: dp.jwks } : {}),
    redirect_uris: [],
    response_types: [],
    grant_types: [],
    token_endpoint_auth_method: dp.token_endpoint_auth_method,
    introspection_signed_response_alg: dp.checktoken_signed_response_alg,
  };
}
