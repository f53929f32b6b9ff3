// The way back to the SP. The login record is written with the interaction /authorize opens (in
// the same round trip, as a companion of oidc-provider's write): from then on its client and
// redirect URI are trusted, and the way back is known for the whole login, even once the
// interaction is gone (refresh or back on a one-shot step).
import type { ProfileName } from '../config/index.ts';
import type { RelaisError } from '../errors.ts';
import type { Slot } from '../store/slot.ts';
import type { LoginRecord, WayBack } from './record.ts';
import { openLogin } from './transitions.ts';

/** oidc-adapter's companions: a new interaction opens its login record. */
export function loginWithInteraction(logins: Slot<LoginRecord>, profile: ProfileName = 'franceconnect') {
  return (model: string, uid: string, payload: Record<string, unknown>) => {
    if (model !== 'Interaction' || payload['result'] !== undefined) return [];
    const session = payload['session'] as { accountId?: unknown } | undefined;
    const params = payload['params'];
    const record = openLogin(
      {
        uid,
        params: typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : {},
        accountId: typeof session?.accountId === 'string' ? session.accountId : undefined,
      },
      profile,
    );
    return record ? [{ key: logins.key(uid), value: logins.encode(uid, record) }] : [];
  };
}

/** The authorization error response (RFC 6749 §4.1.2.1 with RFC 9207's iss), by query. */
export function errorRedirect(wayBack: WayBack, error: RelaisError, issuer: string): string {
  const url = new URL(wayBack.redirectUri);
  url.searchParams.set('error', error.entry.oauth);
  url.searchParams.set('error_description', error.description);
  if (wayBack.state) url.searchParams.set('state', wayBack.state);
  url.searchParams.set('iss', issuer);
  return url.href;
}
