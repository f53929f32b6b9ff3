// How the login record is kept: sealed while it holds anything of the citizen, plain and small
// once only the way back is left; a plain value in an open state is refused, never believed.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LOGIN_SLOT, type LoginRecord } from '../../../src/login/record.ts';
import { consent, identify, openLogin } from '../../../src/login/transitions.ts';
import { createMemoryKv } from '../../../src/store/kv.ts';
import { createSlot, StoredValueError } from '../../../src/store/slot.ts';

const opened = openLogin({
  uid: 'uid1',
  params: { client_id: 'sp-a', redirect_uri: 'https://sp.example/cb', state: 'st', scope: 'openid' },
  accountId: undefined,
});
if (!opened) throw new Error('no record');
const identified = identify(opened, {
  idpUid: 'idp-a',
  acr: 'eidas1',
  authTime: 1_800_000_000,
  identityKey: 'v1:fictitious',
  claims: { given_name: 'Camille', family_name: 'Martin' },
  idpIdToken: 'header.payload.signature',
});

function setup() {
  const kv = createMemoryKv('test:');
  return { kv, logins: createSlot(kv, randomBytes(32), LOGIN_SLOT) };
}

describe('the login record in the store', () => {
  it('is sealed while open: nothing of the citizen nor of the request in clear', async () => {
    const { kv, logins } = setup();
    await logins.put('uid1', identified);
    const raw = (await kv.get('login:uid1')) ?? '';
    for (const clear of ['Camille', 'Martin', 'sp.example', 'identified']) expect(raw).not.toContain(clear);
    expect(await logins.get('uid1')).toEqual(identified);
  });

  it('once done keeps only the way back, plain and small', async () => {
    const { kv, logins } = setup();
    await logins.put('uid1', consent(identified));
    const raw = (await kv.get('login:uid1')) ?? '';
    expect(JSON.parse(raw)).toEqual({ uid: 'uid1', wayBack: opened.wayBack, state: 'done' });
    expect(raw.length).toBeLessThan(200);
  });

  it('refuses a plain value in a state that must be sealed', async () => {
    const { kv, logins } = setup();
    const forged: LoginRecord = identified;
    await kv.set('login:uid1', JSON.stringify(forged), 60);
    await expect(logins.get('uid1')).rejects.toBeInstanceOf(StoredValueError);
  });

  it('a compare-and-set from a stale read loses: a second consent cannot overwrite the first', async () => {
    const { logins } = setup();
    await logins.put('uid1', identified);
    const read = await logins.read('uid1');
    if (!read) throw new Error('no record');
    expect(await logins.swap('uid1', read, consent(identified))).toBe(true);
    expect(await logins.swap('uid1', read, consent(identified))).toBe(false);
  });
});
