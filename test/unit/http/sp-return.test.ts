import { describe, expect, it } from 'vitest';
import { spReturnWithInteraction } from '../../../src/http/sp-return.ts';

const params = { client_id: 'demo-sp', redirect_uri: 'https://sp.example/cb', state: 'st' };

describe('spReturnWithInteraction', () => {
  it('records the way back when /authorize opens an interaction', () => {
    expect(spReturnWithInteraction('Interaction', 'uid1', { params })).toEqual([
      {
        key: 'sp-return:uid1',
        value: JSON.stringify({ clientId: 'demo-sp', redirectUri: 'https://sp.example/cb', state: 'st' }),
      },
    ]);
  });

  it('writes nothing for a finished interaction, another model, or params it cannot trust', () => {
    expect(spReturnWithInteraction('Interaction', 'uid1', { params, result: { login: {} } })).toEqual([]);
    expect(spReturnWithInteraction('Session', 'uid1', { params })).toEqual([]);
    expect(spReturnWithInteraction('Interaction', 'uid1', { params: { client_id: 'demo-sp' } })).toEqual([]);
  });

  it('keeps a missing state missing', () => {
    const [entry] = spReturnWithInteraction('Interaction', 'u', {
      params: { client_id: 'a', redirect_uri: 'https://sp.example/cb' },
    });
    expect(JSON.parse(entry?.value ?? '{}')).toEqual({ clientId: 'a', redirectUri: 'https://sp.example/cb' });
  });
});
