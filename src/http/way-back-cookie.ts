// The way back to the SP when the store cannot tell it. A login's way back (the SP, its
// redirect_uri and state) lives in the login record, in Redis; with Redis down the error page would
// have none (nor after a Redis restarted empty). So the browser also keeps it, sealed
// (store/seal.ts: nothing readable, nothing forgeable), in one cookie set when the login starts,
// and an error page whose login record is unreadable or gone links straight to the SP with its
// error: a way back that needs nothing from the hub.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { z } from 'zod';
import { ERRORS, type ErrorCode, withCode } from '../errors.ts';
import { INTERACTION_TTL } from '../op/provider.ts';
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
  /** Sets the cookie as a login starts (oidc-provider's interaction, its client and redirect_uri checked). */
  keep(ctx: KoaContextWithOIDC, interaction: { uid: string; params: Record<string, unknown> }): void;
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
  /** `Secure` cookie (an https issuer). */
  secure: boolean;
}): WayBackCookies {
  return {
    keep(ctx, { uid, params }) {
      const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
      const [c, r, s] = [text(params['client_id']), text(params['redirect_uri']), text(params['state'])];
      if (!c || !r) return;
      const value = seal(options.encryptionKey, AAD, { u: uid, c, r, ...(s ? { s } : {}) });
      if (value.length > MAX_COOKIE) return;
      ctx.cookies.set(WAY_BACK_COOKIE, value, {
        httpOnly: true,
        sameSite: 'lax',
        secure: options.secure,
        path: '/',
        maxAge: INTERACTION_TTL * 1000,
        signed: false,
        overwrite: true,
      });
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
