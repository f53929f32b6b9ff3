// The bundled demo federation: the mock IdP, the demo SP and (FranceConnect) the demo data provider,
// on the ports beside the hub's; under ProConnect, a ministry's IdP for the demo's *.gouv.fr domain
// and a fallback IdP for anyone else.
import type { FederationInput } from './federation.ts';
import type { ProfileName } from './index.ts';

export const DEMO_SP = {
  clientId: 'demo-sp',
  clientSecret: 'demo-sp-secret-at-least-32-characters-long!',
};
/** The demo data provider (src/demo-dp/): a family-quotient API, a client of /introspect only. */
export const DEMO_DP = {
  clientId: 'demo-dp',
  clientSecret: 'demo-dp-secret-at-least-32-characters-long!',
  scope: 'cnaf_quotient_familial',
};
export const DEMO_IDP = {
  clientId: 'relais',
  clientSecret: 'relais-demo-secret-at-least-32-characters!!',
};

/** ProConnect's demo: the ministry's domain (a mock IdP of agents), and the fallback's agents' domain. */
export const DEMO_AGENT_DOMAINS = { ministry: 'demo.gouv.fr', fallback: 'entreprise.example' } as const;
export const PRO_DEMO_CLAIMS =
  'given_name usual_name email uid siret siren phone organizational_unit belonging_population chorusdt';

export function demoFederation(
  urls: { hub: string; mockIdp: string; demoSp: string; fallbackIdp?: string },
  profile: ProfileName = 'franceconnect',
): FederationInput {
  if (profile === 'proconnect')
    return proDemoFederation({ ...urls, fallbackIdp: urls.fallbackIdp ?? urls.mockIdp });
  return {
    serviceProviders: [
      {
        client_id: DEMO_SP.clientId,
        client_secret: DEMO_SP.clientSecret,
        client_name: 'Service de démonstration',
        redirect_uris: [`${urls.demoSp}/callback`],
        post_logout_redirect_uris: [`${urls.demoSp}/`],
        // Told by the hub when the citizen's hub session ends elsewhere (src/demo-sp/backchannel-logout.ts).
        backchannel_logout_uri: `${urls.demoSp}/backchannel-logout`,
        backchannel_logout_session_required: true,
        scope: `openid identite_pivot profile birth email given_name family_name birthdate gender birthplace birthcountry preferred_username ${DEMO_DP.scope}`,
        acr_values: ['eidas1', 'eidas2'],
        id_token_signed_response_alg: 'ES256',
        userinfo_signed_response_alg: 'ES256',
        token_endpoint_auth_method: 'client_secret_post',
        type: 'public',
        active: true,
      },
    ],
    identityProviders: [
      {
        uid: 'mock-idp',
        name: 'Identité de démonstration',
        issuer: urls.mockIdp,
        client_id: DEMO_IDP.clientId,
        client_secret: DEMO_IDP.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        scope:
          'openid given_name family_name birthdate gender birthplace birthcountry email preferred_username',
        acr_values: ['eidas1', 'eidas2', 'eidas3'],
        id_token_signed_response_alg: 'ES256',
        userinfo_signed_response_alg: null,
        active: true,
        display: true,
        order: 1,
      },
    ],
    dataProviders: [
      {
        client_id: DEMO_DP.clientId,
        client_secret: DEMO_DP.clientSecret,
        name: 'Quotient familial (démonstration)',
        scopes: [DEMO_DP.scope],
      },
    ],
  };
}

function proDemoFederation(urls: { mockIdp: string; demoSp: string; fallbackIdp: string }): FederationInput {
  const idp = {
    client_id: DEMO_IDP.clientId,
    client_secret: DEMO_IDP.clientSecret,
    token_endpoint_auth_method: 'client_secret_basic' as const,
    scope: `openid ${PRO_DEMO_CLAIMS}`,
    acr_values: ['eidas1' as const, 'eidas2' as const, 'eidas3' as const],
    id_token_signed_response_alg: 'ES256' as const,
    userinfo_signed_response_alg: null,
  };
  return {
    serviceProviders: [
      {
        client_id: DEMO_SP.clientId,
        client_secret: DEMO_SP.clientSecret,
        client_name: 'Service de démonstration (agents)',
        redirect_uris: [`${urls.demoSp}/callback`],
        post_logout_redirect_uris: [`${urls.demoSp}/`],
        // Told by the hub when the citizen's hub session ends elsewhere (src/demo-sp/backchannel-logout.ts).
        backchannel_logout_uri: `${urls.demoSp}/backchannel-logout`,
        backchannel_logout_session_required: true,
        scope: `openid ${PRO_DEMO_CLAIMS} idp_id idp_acr`,
        acr_values: ['eidas1', 'eidas2'],
        id_token_signed_response_alg: 'ES256',
        userinfo_signed_response_alg: 'ES256',
        token_endpoint_auth_method: 'client_secret_post',
        type: 'public',
      },
    ],
    identityProviders: [
      {
        ...idp,
        uid: 'ministere-demo',
        name: 'Ministère de la démonstration',
        issuer: urls.mockIdp,
        email_domains: [DEMO_AGENT_DOMAINS.ministry],
        public_sector: true,
        order: 1,
      },
      {
        ...idp,
        uid: 'pro-identite-demo',
        name: 'Identité professionnelle de démonstration',
        issuer: urls.fallbackIdp,
        fallback: true,
        order: 2,
      },
    ],
  };
}
