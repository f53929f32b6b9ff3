// Federation entries for unit tests, parsed with the federation file's own schemas: a fixture is
// an entry the hub would load, its defaults filled in. Fictitious services only.
import type { z } from 'zod';
import {
  type IdentityProvider,
  identityProviderSchema,
  type ServiceProvider,
  serviceProviderSchema,
} from '../../src/config/federation.ts';

export function serviceProvider(
  overrides: Partial<z.input<typeof serviceProviderSchema>> = {},
): ServiceProvider {
  return serviceProviderSchema.parse({
    client_id: 'sp',
    client_secret: 'a-secret-of-at-least-thirty-two-characters',
    client_name: 'SP',
    redirect_uris: ['https://sp.example/callback'],
    scope: 'openid',
    ...overrides,
  });
}

export function identityProvider(
  uid: string,
  overrides: Partial<z.input<typeof identityProviderSchema>> = {},
): IdentityProvider {
  return identityProviderSchema.parse({
    uid,
    name: uid,
    issuer: `https://${uid}.example`,
    client_id: 'c',
    client_secret: 's',
    ...overrides,
  });
}
