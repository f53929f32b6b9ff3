// How a hub session ends besides a logout: it expires, or an operator revokes it. Either way the
// SPs that took part and asked for it get a back-channel logout (op/back-channel-logout.ts).
//
// Expiry: a session whose SPs want to be told is kept EXPIRY_NOTICE_SECONDS past its end, and its
// id is filed under the 10-second bucket of that end. Every instance sweeps each bucket once it is
// past: a session found ended is taken (one instance wins the take) and its SPs are told. A login
// that extends the session files it again further on; the older bucket then finds it alive.
//
// Revocation: an SP's `sub` leads to the session through an index written at each consent (the
// key a hash of the SP and its sub). `relais sessions revoke` asks through PostgreSQL
// (store/revocations.ts) and whichever instance picks the request up ends the session at once.

import { type Events, hashId } from '../observability/events.ts';
import type { GrantIdentity } from '../op/account.ts';
import type { BackChannelLogouts } from '../op/back-channel-logout.ts';
import type { SessionLifetime } from '../op/session-lifetime.ts';
import type { Kv } from '../store/kv.ts';
import { subjectKey } from '../store/revocations.ts';
import type { Slot } from '../store/slot.ts';
import { EXPIRY_NOTICE_SECONDS, type HubSession, type HubSessions, sessionAlive } from './hub-session.ts';

const BUCKET_SECONDS = 10;
/** How often an instance looks for the buckets gone by. */
export const SESSION_SWEEP_MS = 2000;

const bucketKey = (bucket: number) => `hub-session-ends:${bucket}`;
const subjectIndexKey = (subject: string) => `hub-sessions-of:${subject}`;

export interface SessionEndsOptions {
  /** The store of the requests: a consent's writes (track) are the login's. */
  kv: Kv;
  /** The same store, for the hub's own periodic work (sweep, revocations), counted apart. */
  background: { kv: Kv; hubSessions: HubSessions; grantIdentities: Slot<GrantIdentity> };
  lifetime: SessionLifetime;
  backChannel: BackChannelLogouts;
  events: Events;
  log: { warn(details: Record<string, unknown>, message: string): void };
  /** Epoch seconds (tests move it). */
  now?: () => number;
}

export type RevocationOutcome = { ended: true; notified: number } | { ended: false };

export interface SessionEnds {
  /**
   * The writes a consent adds, riding with the hub session's: the SP's `sub` → the session (for a
   * revocation), and the session's end in its bucket when an SP is to be told of it.
   */
  track(session: HubSession, expiresAt: number, clientId: string, sub: string): Array<Promise<void>>;
  /** Ends the sessions of the buckets gone by since the last sweep; how many it ended. */
  sweep(): Promise<number>;
  /** Ends every live session this SP's `sub` (as subjectKey) belongs to, at once. */
  revoke(subject: string): Promise<RevocationOutcome>;
  start(): void;
  stop(): void;
}

export function createSessionEnds(options: SessionEndsOptions): SessionEnds {
  const { kv, hubSessions, grantIdentities } = options.background;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  let sweptThrough: number | undefined;
  let sweeping: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const end = async (session: HubSession, reason: 'expired' | 'revoked') => {
    // Told first: whatever fails next, the SPs know the session is over.
    const notified = options.backChannel.notify(session, reason);
    if (reason === 'revoked') {
      // Its tokens stop working: no claim is released for a grant whose identity is gone.
      await grantIdentities.del(session.participants.map((participant) => participant.grantId));
    }
    options.events.emit({
      name: 'session.ended',
      idpUid: session.idpUid,
      sessionId: hashId(session.citizenSessionId),
      data: { reason, participants: session.participants.length, notified },
    });
    return notified;
  };

  /** Takes the session if it is past its end (the one instance whose take finds it tells its SPs). */
  const endIfDue = async (citizenSessionId: string): Promise<boolean> => {
    const stored = await hubSessions.get(citizenSessionId);
    if (!stored || sessionAlive(options.lifetime, stored, now())) return false;
    const taken = await hubSessions.take(citizenSessionId);
    if (!taken) return false;
    await end({ ...taken, citizenSessionId }, 'expired');
    return true;
  };

  const sweepOnce = async (): Promise<number> => {
    const current = Math.floor(now() / BUCKET_SECONDS);
    // At start, every bucket whose sessions may still be kept for their notice.
    const from = sweptThrough ?? current - Math.ceil(EXPIRY_NOTICE_SECONDS / BUCKET_SECONDS) - 1;
    let ended = 0;
    for (let bucket = from + 1; bucket < current; bucket += 1) {
      for (const id of await kv.members(bucketKey(bucket))) {
        try {
          if (await endIfDue(id)) ended += 1;
        } catch (error) {
          options.log.warn({ err: describe(error) }, 'ending an expired hub session failed');
        }
      }
      sweptThrough = bucket;
    }
    sweptThrough = Math.max(sweptThrough ?? from, current - 1);
    return ended;
  };

  const sweep = () => {
    sweeping ??= sweepOnce().finally(() => {
      sweeping = undefined;
    });
    return sweeping;
  };

  return {
    track(session, expiresAt, clientId, sub) {
      const ttl = Math.max(1, expiresAt - now());
      // The sessions this sub belongs to (one per device), kept as long as any may live: a later
      // login at another SP extends the session past this one's idle end.
      const longest = Math.max(1, options.lifetime.maxSeconds - (now() - session.startedAt));
      const writes = [
        options.kv.addToSet(subjectIndexKey(subjectKey(clientId, sub)), session.citizenSessionId, longest),
      ];
      if (session.notifyAtEnd) {
        // The bucket after the end's: swept only once the session is surely past it.
        const bucket = Math.floor(expiresAt / BUCKET_SECONDS) + 1;
        writes.push(
          options.kv.addToSet(bucketKey(bucket), session.citizenSessionId, ttl + EXPIRY_NOTICE_SECONDS),
        );
      }
      return writes;
    },
    sweep,
    async revoke(subject) {
      const citizenSessionIds = await kv.members(subjectIndexKey(subject));
      let ended = 0;
      let notified = 0;
      for (const citizenSessionId of citizenSessionIds) {
        const taken = await hubSessions.take(citizenSessionId);
        if (!taken) continue;
        if (!sessionAlive(options.lifetime, taken, now())) {
          // Already past its end: its notice is owed as for any expiry.
          await end({ ...taken, citizenSessionId }, 'expired');
          continue;
        }
        ended += 1;
        notified += await end({ ...taken, citizenSessionId }, 'revoked');
      }
      await kv.del([subjectIndexKey(subject)]);
      return ended ? { ended: true, notified } : { ended: false };
    },
    start() {
      timer ??= setInterval(() => {
        sweep().catch((error) => options.log.warn({ err: describe(error) }, 'hub session sweep failed'));
      }, SESSION_SWEEP_MS);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

const describe = (error: unknown) =>
  error instanceof Error ? { name: error.name, message: error.message } : String(error);
