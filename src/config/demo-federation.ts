// The bundled demo federation: the mock IdP and the demo SP, on the ports beside the hub's.
import type { Federation } from './federation.ts';

export const DEMO_SP = {
  clientId: 'demo-sp',
  clientSecret: 'demo-sp-secret-at-least-32-characters-long!',
};
export const DEMO_IDP = {
  clientId: 'relais',
  clientSecret: 'relais-demo-secret-at-least-32-characters!!',
};

export function demoFederation(urls: { hub: string; mockIdp: string; demoSp: string }): Federation {
  return {
    serviceProviders: [
      {
        client_id: DEMO_SP.clientId,
        client_secret: DEMO_SP.clientSecret,
        client_name: 'Service de démonstration',
        redirect_uris: [`${urls.demoSp}/callback`],
        post_logout_redirect_uris: [`${urls.demoSp}/`],
        scope:
          'openid identite_pivot profile birth email given_name family_name birthdate gender birthplace birthcountry preferred_username',
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
  };
}
