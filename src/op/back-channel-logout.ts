// OpenID Connect Back-Channel Logout 1.0 toward SPs. When a hub session ends, every SP that took
// part in it and registered a backchannel_logout_uri receives a logout_token: signed like its
// id_tokens (and encrypted like them, when it asked), naming its own pairwise `sub` and the `sid`
// its id_tokens carried. The citizen never waits on it: each delivery runs on its own, bounded
// (a time-out per attempt, a few retries), and ends as a business event.
import { createHmac, randomUUID } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { ServiceProvider } from '../config/federation.ts';
import { type Events, hashId } from '../observability/events.ts';
import { deriveSub } from '../pivot/sub.ts';
import type { Registry } from '../store/registry-cache.ts';
import { encryptForClient } from './encrypt-responses.ts';

/**
 * The `sid` of a citizen session at an SP: the same for every login of that session at that SP,
 * unrelated from one SP to the next (keyed by the hub's secret), and computable again when the
 * session ends, so the hub need not keep it.
 */
export function sessionSid(secret: string, citizenSessionId: string, clientId: string): string {
  return createHmac('sha256', secret)
    .update(`sid\u001f${citizenSessionId}\u001f${clientId}`, 'utf8')
    .digest('base64url')
    .slice(0, 32);
}

/** Why the session ended: the event says it. */
export type SessionEndReason = 'logout' | 'expired' | 'revoked';

/** What the logout tokens of an ended session are made of. */
export interface EndedHubSession {
  citizenSessionId: string;
  identityKey: string;
  /** The SPs that took part in it. */
  participants: ReadonlyArray<{ clientId: string }>;
}

export interface BackChannelLogoutOptions {
  /** The current oidc-provider (a key rotation replaces it): it signs and encrypts the tokens. */
  provider: () => Provider;
  registry: Registry;
  subSecret: string;
  events: Events;
  log: { warn(details: Record<string, unknown>, message: string): void };
  /** Per attempt (BACKCHANNEL_LOGOUT_TIMEOUT_MS); default 2 s. */
  timeoutMs?: number;
  /** The pauses before each retry; default 1 s then 4 s: three attempts within about 11 s. */
  retryDelaysMs?: readonly number[];
}

export interface BackChannelLogouts {
  /**
   * Starts a delivery to each participant with a backchannel_logout_uri (but `except`, the SP
   * whose logout ended the session) and returns at once: how many SPs will be told.
   */
  notify(session: EndedHubSession, reason: SessionEndReason, except?: string): number;
  /** Waits for the deliveries under way, at most `ms` (a graceful shutdown). */
  drain(ms: number): Promise<void>;
}

export const BACKCHANNEL_LOGOUT_TIMEOUT_MS = 2000;
/** Deliveries under way at once (a mass expiry, a sweep after an outage); the others wait their turn. */
export const BACKCHANNEL_CONCURRENCY = 32;
/** Deliveries waiting at most; past it a notice is dropped, as a failed delivery (event, warning). */
export const BACKCHANNEL_QUEUE = 10_000;
export const BACKCHANNEL_LOGOUT_RETRY_DELAYS_MS = [1000, 4000] as const;

/** The logout token oidc-provider issues for a client (its IdToken, use "logout": typ logout+jwt, 120 s). */
interface LogoutTokenIssuer {
  new (
    available: Record<string, unknown>,
    options: { client: unknown; ctx: undefined },
  ): { set(claim: string, value: unknown): void; issue(options: { use: 'logout' }): Promise<string> };
}

export function createBackChannelLogouts(options: BackChannelLogoutOptions): BackChannelLogouts {
  const timeoutMs = options.timeoutMs ?? BACKCHANNEL_LOGOUT_TIMEOUT_MS;
  const delays = options.retryDelaysMs ?? BACKCHANNEL_LOGOUT_RETRY_DELAYS_MS;
  const underway = new Set<Promise<void>>();
  let running = 0;
  const waiting: Array<() => void> = [];
  const turn = async () => {
    if (running >= BACKCHANNEL_CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
  };
  const done = () => {
    running -= 1;
    waiting.shift()?.();
  };

  const logoutToken = async (sp: ServiceProvider, session: EndedHubSession): Promise<string> => {
    const provider = options.provider();
    const client = await provider.Client.find(sp.client_id);
    if (!client) throw new Error('client not found');
    const IdToken = (provider as unknown as { IdToken: LogoutTokenIssuer }).IdToken;
    // No claim from an account: sub is the SP's pairwise one, as in its id_tokens.
    const token = new IdToken({}, { client, ctx: undefined });
    token.set('sub', deriveSub(options.subSecret, sp.sector_identifier ?? sp.client_id, session.identityKey));
    token.set('sid', sessionSid(options.subSecret, session.citizenSessionId, sp.client_id));
    token.set('events', { 'http://schemas.openid.net/event/backchannel-logout': {} });
    token.set('jti', randomUUID());
    const signed = await token.issue({ use: 'logout' });
    // Encrypted like its id_tokens, when the SP asked them encrypted.
    const alg = sp.id_token_encrypted_response_alg;
    return alg ? encryptForClient(client, alg, signed) : signed;
  };

  const post = async (uri: string, token: string): Promise<number> => {
    const response = await fetch(uri, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return response.status;
  };

  const deliver = async (
    sp: ServiceProvider & { backchannel_logout_uri: string },
    session: EndedHubSession,
    reason: SessionEndReason,
  ) => {
    const started = performance.now();
    let attempts = 0;
    let outcome = 'failed';
    let status = 0;
    let failure: string | undefined;
    try {
      for (;;) {
        attempts += 1;
        // A token of its own for each attempt: an SP that ended the session but answered too
        // late refuses a replayed jti, and would have this retry count as a refusal. A token the
        // hub cannot issue (no encryption key of the SP's) is not tried again.
        const token = await logoutToken(sp, session);
        try {
          status = await post(sp.backchannel_logout_uri, token);
          if (status === 200 || status === 204) {
            outcome = 'delivered';
            break;
          }
          failure = `answered ${status}`;
          // A 400 is the SP refusing this token: sending it again changes nothing.
          if (status === 400) break;
        } catch (error) {
          failure = error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'unreachable';
        }
        const delay = delays[attempts - 1];
        if (delay === undefined) break;
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
      }
    } catch (error) {
      failure = `logout token not issued: ${error instanceof Error ? error.name : 'error'}`;
    }
    options.events.emit({
      name: 'logout.backchannel',
      clientId: sp.client_id,
      sessionId: hashId(session.citizenSessionId),
      data: { reason, outcome, attempts, status, ms: Math.round(performance.now() - started) },
    });
    if (outcome !== 'delivered') {
      options.log.warn(
        { clientId: sp.client_id, reason, attempts, failure },
        'back-channel logout not delivered',
      );
    }
  };

  return {
    notify(session, reason, except) {
      const told = new Set<string>();
      for (const { clientId } of session.participants) {
        if (clientId === except || told.has(clientId)) continue;
        const sp = options.registry.serviceProvider(clientId);
        if (!sp?.backchannel_logout_uri) continue;
        told.add(clientId);
        if (waiting.length >= BACKCHANNEL_QUEUE) {
          options.events.emit({
            name: 'logout.backchannel',
            clientId,
            sessionId: hashId(session.citizenSessionId),
            data: { reason, outcome: 'failed', attempts: 0, status: 0, ms: 0 },
          });
          options.log.warn({ clientId, reason, failure: 'queue full' }, 'back-channel logout not delivered');
          continue;
        }
        const target = { ...sp, backchannel_logout_uri: sp.backchannel_logout_uri };
        const delivery = turn()
          .then(() => deliver(target, session, reason))
          .finally(done)
          // deliver() reports its own failures; nothing may escape as an unhandled rejection.
          .catch(() => undefined);
        underway.add(delivery);
        void delivery.then(() => underway.delete(delivery));
      }
      return told.size;
    },
    async drain(ms) {
      if (!underway.size) return;
      await Promise.race([
        Promise.allSettled([...underway]),
        new Promise((resolve) => setTimeout(resolve, ms).unref()),
      ]);
    },
  };
}
