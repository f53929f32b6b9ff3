// The way back to the SP when the store cannot tell it. A login's way back (the SP, its
// redirect_uri and state) lives in the login record, in Redis; with Redis down the error page would
// have none (nor after a Redis restarted empty). So the browser also keeps it, sealed
// (store/seal.ts: nothing readable, nothing forgeable), in one cookie set when the login starts,
// and an error page whose login record is unreadable or gone links straight to the SP with its
// error: a way back that needs nothing from the hub.
import { z } from 'zod';
import { ERRORS, type ErrorCode, withCode } from '../errors.ts';
import type { Registry } from '../store/registry-cache.ts';
import { seal, unseal } from '../store/seal.ts';

export const WAY_BACK_COOKIE = 'relais_way_back';
const AAD = 'way-back';
/** Browsers keep cookies up to 4 KiB: a longer way back (a very long state) is not kept. */
const MAX_COOKIE = 3000;

const wayBackSchema = z.object({
  /** The interaction it belongs to. */
  u: z.string(),
  c: z.string(),
  r: z.string(),
  s: z.string().optional(),
});

export interface WayBackCookies {
  /** The sealed cookie value for this login, or undefined when too long to keep. */
  seal(
    uid: string,
    params: { clientId: string; redirectUri: string; state?: string | undefined },
  ): string | undefined;
  /** The SP's redirect_uri with this error and its code (R5003: `temporarily_unavailable`), for this login only. */
  link(
    cookie: string | undefined,
    uid: string,
    code: ErrorCode,
  ): { href: string; spName: string } | undefined;
}

export function wayBackCookies(options: {
  encryptionKey: Buffer;
  issuer: string;
  registry: Registry;
}): WayBackCookies {
  return {
    seal(uid, { clientId, redirectUri, state }) {
      const value = seal(options.encryptionKey, AAD, {
        u: uid,
        c: clientId,
        r: redirectUri,
        ...(state ? { s: state } : {}),
      });
      return value.length <= MAX_COOKIE ? value : undefined;
    },
    link(cookie, uid, code) {
      if (!cookie) return undefined;
      let parsed: z.infer<typeof wayBackSchema>;
      try {
        parsed = wayBackSchema.parse(unseal(options.encryptionKey, AAD, cookie));
      } catch {
        return undefined;
      }
      // Another tab's login, or an SP or redirect_uri no longer registered: no way back from here.
      const sp = parsed.u === uid ? options.registry.serviceProvider(parsed.c) : undefined;
      if (!sp?.redirect_uris.includes(parsed.r)) return undefined;
      const href = new URL(parsed.r);
      href.searchParams.set('error', ERRORS[code].oauth);
      href.searchParams.set('error_description', withCode(ERRORS[code].description, code));
      if (parsed.s !== undefined) href.searchParams.set('state', parsed.s);
      href.searchParams.set('iss', options.issuer);
      return { href: href.href, spName: sp.client_name };
    },
  };
}
