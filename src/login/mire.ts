// The mire's list: every displayed IdP, usable or greyed with the reason (FranceConnect shows
// the accounts a citizen cannot use rather than hiding them).
import { type Acr, canDeliver } from '../acr.ts';
import type { IdentityProvider, ServiceProvider } from '../config/federation.ts';

export type UnavailableReason = 'inactive' | 'excluded' | 'insufficient_level' | 'temporarily_unavailable';

export interface MireEntry {
  uid: string;
  name: string;
  logo: string | undefined;
  available: boolean;
  reason: UnavailableReason | undefined;
}

export function unavailableReason(
  idp: IdentityProvider,
  sp: ServiceProvider,
  required: Acr,
  isUp: (uid: string) => boolean,
): UnavailableReason | undefined {
  if (!idp.active) return 'inactive';
  if (sp.identity_providers && !sp.identity_providers.includes(idp.uid)) return 'excluded';
  if (!canDeliver(idp, required)) return 'insufficient_level';
  if (!isUp(idp.uid)) return 'temporarily_unavailable';
  return undefined;
}

export function mireEntries(
  idps: readonly IdentityProvider[],
  sp: ServiceProvider,
  required: Acr,
  isUp: (uid: string) => boolean,
): MireEntry[] {
  return idps
    .filter((idp) => idp.display)
    .map((idp) => {
      const reason = unavailableReason(idp, sp, required, isUp);
      return { uid: idp.uid, name: idp.name, logo: idp.logo, available: reason === undefined, reason };
    });
}
