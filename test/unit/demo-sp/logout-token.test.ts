// The pieces of the demo SP's back-channel logout, alone: the logout token's checks at the edges of
// the clock skew, the index from sid/sub to session ids, the bounded list of logouts received.
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LOGOUT_TOKEN_MAX_AGE_SECONDS,
  LOGOUT_TOKEN_SKEW_SECONDS,
  LogoutJournal,
  LogoutTokenError,
  sidDigest,
  validateLogoutToken,
} from '../../../src/demo-sp/backchannel-logout.ts';
import { SessionIndex } from '../../../src/demo-sp/sessions.ts';
import { logoutReceiptRows } from '../../../src/demo-sp/view-model.ts';

const ISSUER = 'https://relais.example';
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const NOW = 1_800_000_000;

let sign: (claims: Record<string, unknown>) => Promise<string>;
let keys: ReturnType<typeof createLocalJWKSet>;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  keys = createLocalJWKSet({
    keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }],
  });
  sign = (claims) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'logout+jwt' }).sign(privateKey);
});

function claims(changes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: 'demo-sp',
    iat: NOW,
    exp: NOW + 120,
    jti: 'jti-1',
    sid: 'sid-1',
    sub: 'sub-1',
    events: { [EVENT]: {} },
    ...changes,
  };
}

async function validate(token: string, atSeconds: number) {
  return validateLogoutToken(token, {
    issuer: ISSUER,
    audience: 'demo-sp',
    algorithm: 'ES256',
    keys,
    currentDate: new Date(atSeconds * 1000),
  });
}

async function refusal(token: string, atSeconds: number): Promise<string | undefined> {
  try {
    await validate(token, atSeconds);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(LogoutTokenError);
    return (err as LogoutTokenError).refusal;
  }
}

describe('validateLogoutToken', () => {
  it('returns the jti, sid and sub of a valid token', async () => {
    expect(await validate(await sign(claims()), NOW)).toEqual({ jti: 'jti-1', sid: 'sid-1', sub: 'sub-1' });
    expect(await validate(await sign(claims({ sid: undefined })), NOW)).toEqual({
      jti: 'jti-1',
      sid: undefined,
      sub: 'sub-1',
    });
  });

  it('accepts an aud array that holds the client_id', async () => {
    expect((await validate(await sign(claims({ aud: ['other', 'demo-sp'] })), NOW)).sid).toBe('sid-1');
  });

  it(`tolerates ${LOGOUT_TOKEN_SKEW_SECONDS} s of clock skew on exp and iat, not more`, async () => {
    const token = await sign(claims());
    // exp = NOW + 120: still valid up to exp + skew (exclusive).
    expect(await refusal(token, NOW + 120 + LOGOUT_TOKEN_SKEW_SECONDS - 1)).toBeUndefined();
    expect(await refusal(token, NOW + 120 + LOGOUT_TOKEN_SKEW_SECONDS)).toBe('expired');
    // iat in the future by the skew at most.
    expect(await refusal(token, NOW - LOGOUT_TOKEN_SKEW_SECONDS)).toBeUndefined();
    expect(await refusal(token, NOW - LOGOUT_TOKEN_SKEW_SECONDS - 1)).toBe('bad_dates');
  });

  it(`refuses a token issued more than ${LOGOUT_TOKEN_MAX_AGE_SECONDS} s ago, whatever its exp`, async () => {
    const token = await sign(claims({ exp: NOW + 86_400 }));
    const limit = NOW + LOGOUT_TOKEN_MAX_AGE_SECONDS + LOGOUT_TOKEN_SKEW_SECONDS;
    expect(await refusal(token, limit)).toBeUndefined();
    expect(await refusal(token, limit + 1)).toBe('expired');
  });

  it('names the check that failed', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ iss: 'https://other.example' }, 'bad_issuer'],
      [{ aud: 'other' }, 'bad_audience'],
      [{ events: { [EVENT]: [] } }, 'bad_events'],
      [{ events: [EVENT] }, 'bad_events'],
      [{ nonce: 'abc' }, 'nonce_present'],
      [{ sid: undefined, sub: undefined }, 'no_subject'],
      [{ sub: '' }, 'bad_subject'],
      [{ jti: 7 }, 'missing_jti'],
      [{ iat: 'yesterday' }, 'bad_dates'],
    ];
    for (const [changes, expected] of cases) {
      expect(await refusal(await sign(claims(changes)), NOW), JSON.stringify(changes)).toBe(expected);
    }
  });
});

describe('SessionIndex', () => {
  it('gives the session ids recorded under a key, without those no longer live', () => {
    const index = new SessionIndex(60_000);
    const live = new Set(['a', 'b']);
    index.add('sid x', 'a', (id) => live.has(id));
    index.add('sid x', 'b', (id) => live.has(id));
    expect(index.get('sid x').sort()).toEqual(['a', 'b']);
    live.delete('a');
    live.add('c');
    index.add('sid x', 'c', (id) => live.has(id));
    expect(index.get('sid x').sort()).toEqual(['b', 'c']);
    expect(index.get('sid y')).toEqual([]);
  });

  it('forgets a key as a session would expire, counted from its newest session', () => {
    let now = 0;
    const index = new SessionIndex(1000, { now: () => now });
    index.add('sub s', 'a', () => true);
    now = 900;
    index.add('sub s', 'b', () => true);
    now = 1800;
    expect(index.get('sub s').sort()).toEqual(['a', 'b']);
    now = 1900;
    expect(index.get('sub s')).toEqual([]);
  });
});

describe('LogoutJournal', () => {
  it('keeps the newest receipts first, at most as many as asked', () => {
    const journal = new LogoutJournal(3);
    for (let n = 0; n < 5; n += 1) {
      journal.add({
        at: new Date(n * 1000),
        sidDigest: sidDigest(`sid-${n}`),
        outcome: { kind: 'ended', sessions: n },
      });
    }
    const rows = logoutReceiptRows(journal.list());
    expect(rows.map((row) => row.outcome)).toEqual([
      'Acceptée : 4 sessions fermées',
      'Acceptée : 3 sessions fermées',
      'Acceptée : 2 sessions fermées',
    ]);
    expect(rows[0]).toMatchObject({
      datetime: '1970-01-01T00:00:04.000Z',
      time: '1970-01-01 00:00:04 UTC',
      sid: `sha256:${sidDigest('sid-4')}…`,
      accepted: true,
    });
    expect(sidDigest('sid-4')).toMatch(/^[0-9a-f]{12}$/);
  });
});
