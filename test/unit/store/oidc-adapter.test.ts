import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Kv } from '../../../src/store/kv.ts';
import { createOidcAdapter, InvalidGrantError, type OidcAdapter } from '../../../src/store/oidc-adapter.ts';
import { type KvFixture, kvBackends } from './kv-backends.ts';

const demoClient = {
  client_id: 'demo-sp',
  client_secret: 'x'.repeat(32),
  redirect_uris: ['http://localhost/cb'],
};
const clients = { find: async (id: string) => (id === 'demo-sp' ? demoClient : undefined) };

describe.each(kvBackends)('oidc adapter on $name', (backend) => {
  let fx: KvFixture;
  let kv: Kv;
  let adapter: (name: string) => OidcAdapter;
  beforeEach(async () => {
    fx = await backend.open();
    kv = fx.kv;
    adapter = createOidcAdapter(kv, clients);
  });
  afterEach(() => fx.cleanup());

  it('serves clients from the registry and never stores them', async () => {
    const client = adapter('Client');
    expect(await client.find('demo-sp')).toEqual(demoClient);
    expect(await client.find('unknown')).toBeUndefined();
    await client.upsert('other', { client_id: 'other' }, 60);
    expect(await client.find('other')).toBeUndefined();
    expect(await kv.get('oidc:Client:other')).toBeNull();
    await client.destroy('demo-sp');
    expect(await client.find('demo-sp')).toEqual(demoClient);
  });

  it('seals the models it is told to (an Interaction holds the SP’s login_hint), and reads plain ones still', async () => {
    const sealing = createOidcAdapter(kv, clients, {
      seal: { encryptionKey: randomBytes(32), models: ['Interaction'] },
    });
    const params = { client_id: 'demo-sp', login_hint: 'camille.martin@courriel.example' };
    await sealing('Interaction').upsert('i9', { jti: 'i9', params }, 60);
    const raw = (await kv.get('oidc:Interaction:i9')) ?? '';
    expect(raw).not.toContain('camille');
    expect(raw.startsWith('{')).toBe(false);
    expect(await sealing('Interaction').find('i9')).toEqual({ jti: 'i9', params });
    // Written before sealing (a rolling upgrade): still read.
    await kv.set('oidc:Interaction:i8', JSON.stringify({ jti: 'i8' }), 60);
    expect(await sealing('Interaction').find('i8')).toEqual({ jti: 'i8' });
    // Other models stay JSON.
    await sealing('Grant').upsert('g9', { jti: 'g9' }, 60);
    expect(JSON.parse((await kv.get('oidc:Grant:g9')) ?? 'null')).toEqual({ jti: 'g9' });
  });

  it('stores a payload under oidc:<Model>:<id> until it expires', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c1', { jti: 'c1', grantId: 'g1', scope: 'openid' }, 1);
    expect(await codes.find('c1')).toEqual({ jti: 'c1', grantId: 'g1', scope: 'openid' });
    expect(JSON.parse((await kv.get('oidc:AuthorizationCode:c1')) ?? 'null')).toMatchObject({ jti: 'c1' });
    expect(await adapter('AccessToken').find('c1')).toBeUndefined();
    await fx.advance(1200);
    expect(await codes.find('c1')).toBeUndefined();
  });

  it('refuses to store an item without a TTL', async () => {
    await expect(adapter('Grant').upsert('g1', { jti: 'g1' }, Number.NaN)).rejects.toThrow(/TTL/);
  });

  it('finds a session by its uid, and forgets the uid once the session is destroyed', async () => {
    const sessions = adapter('Session');
    await sessions.upsert('s1', { jti: 's1', uid: 'u1', accountId: 'a' }, 60);
    expect(await sessions.findByUid('u1')).toMatchObject({ jti: 's1' });
    expect(await sessions.findByUid('u2')).toBeUndefined();
    expect(await sessions.find('s1')).toMatchObject({ uid: 'u1' });
    await sessions.destroy('s1');
    expect(await sessions.findByUid('u1')).toBeUndefined();
    expect(await sessions.find('s1')).toBeUndefined();
    expect(await kv.get('oidc:session:u1')).toBeNull();
    expect(await kv.get('oidc:sessionId:s1')).toBeNull();
  });

  it('keeps one session record, under its uid; the id of the cookie only points at it', async () => {
    const sessions = adapter('Session');
    await sessions.upsert('s1', { jti: 's1', uid: 'u1', accountId: 'a' }, 60);
    expect(JSON.parse((await kv.get('oidc:session:u1')) ?? '{}')).toMatchObject({
      jti: 's1',
      accountId: 'a',
    });
    expect(await kv.get('oidc:sessionId:s1')).toBe('u1');
    await expect(sessions.upsert('s2', { jti: 's2' }, 60)).rejects.toThrow(/uid/);
  });

  it('destroys an item without indexes (an interaction) without reading it first', async () => {
    const reads: string[] = [];
    const get = (key: string) => {
      reads.push(key);
      return kv.get(key);
    };
    const counted = createOidcAdapter({ ...kv, get }, clients);
    await counted('Interaction').upsert('i1', { jti: 'i1', uid: 'i1' }, 60);
    await counted('Interaction').destroy('i1');
    expect(reads).toEqual([]);
    expect(await kv.get('oidc:Interaction:i1')).toBeNull();
  });

  it('a rotated session keeps its uid index when the old id is destroyed', async () => {
    const sessions = adapter('Session');
    await sessions.upsert('old', { jti: 'old', uid: 'u1' }, 60);
    await sessions.upsert('new', { jti: 'new', uid: 'u1' }, 60);
    // The old cookie no longer finds the session; the new one does, and so does the uid.
    expect(await sessions.find('old')).toBeUndefined();
    await sessions.destroy('old');
    expect(await sessions.findByUid('u1')).toMatchObject({ jti: 'new' });
    expect(await sessions.find('new')).toMatchObject({ jti: 'new' });
    expect(await kv.get('oidc:sessionId:old')).toBeNull();
  });

  it('finds a device code by its user code', async () => {
    const devices = adapter('DeviceCode');
    await devices.upsert('d1', { jti: 'd1', userCode: 'ABCD-EFGH', grantId: 'g1' }, 60);
    expect(await devices.findByUserCode('ABCD-EFGH')).toMatchObject({ jti: 'd1' });
    expect(await devices.findByUserCode('ZZZZ-ZZZZ')).toBeUndefined();
  });

  it('consume() marks the item consumed; a second consume() throws invalid_grant', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c1', { jti: 'c1', grantId: 'g1' }, 60);
    await codes.consume('c1');
    expect((await codes.find('c1'))?.['consumed']).toEqual(expect.any(Number));
    const error = await codes.consume('c1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidGrantError);
    expect(error).toMatchObject({ message: 'invalid_grant', statusCode: 400, expose: true });
  });

  it('consume() of a missing item throws', async () => {
    await expect(adapter('AuthorizationCode').consume('nope')).rejects.toThrow(InvalidGrantError);
  });

  it('two parallel redemptions of one code: exactly one succeeds', async () => {
    await adapter('AuthorizationCode').upsert('c1', { jti: 'c1', grantId: 'g1' }, 60);
    const other = createOidcAdapter(await fx.second(), clients);
    const results = await Promise.allSettled([
      adapter('AuthorizationCode').consume('c1'),
      other('AuthorizationCode').consume('c1'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
  });

  it('a double redemption revokes what the grant issued', async () => {
    await adapter('Grant').upsert('g1', { jti: 'g1' }, 60);
    await adapter('AuthorizationCode').upsert('c1', { jti: 'c1', grantId: 'g1' }, 60);
    await adapter('AccessToken').upsert('at1', { jti: 'at1', grantId: 'g1' }, 60);
    await adapter('AuthorizationCode').consume('c1');
    await expect(adapter('AuthorizationCode').consume('c1')).rejects.toThrow(InvalidGrantError);
    expect(await adapter('AccessToken').find('at1')).toBeUndefined();
    expect(await adapter('Grant').find('g1')).toBeUndefined();
  });

  it("revokeByGrantId() deletes every item of that grant and nothing of another's", async () => {
    await adapter('AuthorizationCode').upsert('c1', { jti: 'c1', grantId: 'g1' }, 60);
    await adapter('AccessToken').upsert('at1', { jti: 'at1', grantId: 'g1' }, 30);
    await adapter('RefreshToken').upsert('rt1', { jti: 'rt1', grantId: 'g1' }, 120);
    await adapter('DeviceCode').upsert('d1', { jti: 'd1', grantId: 'g1', userCode: 'UC-1' }, 60);
    await adapter('AccessToken').upsert('at2', { jti: 'at2', grantId: 'g2' }, 60);
    await adapter('AccessToken').revokeByGrantId('g1');
    expect(await adapter('AuthorizationCode').find('c1')).toBeUndefined();
    expect(await adapter('AccessToken').find('at1')).toBeUndefined();
    expect(await adapter('RefreshToken').find('rt1')).toBeUndefined();
    expect(await adapter('DeviceCode').findByUserCode('UC-1')).toBeUndefined();
    expect(await kv.get('oidc:userCode:UC-1')).toBeNull();
    expect(await kv.members('oidc:grant:g1')).toEqual([]);
    expect(await adapter('AccessToken').find('at2')).toMatchObject({ jti: 'at2' });
  });

  it('the grant index outlives its shorter members to cover the longest one', async () => {
    await adapter('RefreshToken').upsert('rt1', { jti: 'rt1', grantId: 'g1' }, 2);
    await adapter('AccessToken').upsert('at1', { jti: 'at1', grantId: 'g1' }, 1);
    await fx.advance(1300);
    expect(await kv.members('oidc:grant:g1')).toContain('oidc:RefreshToken:rt1');
    await adapter('AccessToken').revokeByGrantId('g1');
    expect(await adapter('RefreshToken').find('rt1')).toBeUndefined();
  });

  it('destroy() removes the item', async () => {
    await adapter('Interaction').upsert('i1', { jti: 'i1' }, 60);
    await adapter('Interaction').destroy('i1');
    expect(await adapter('Interaction').find('i1')).toBeUndefined();
  });
});
