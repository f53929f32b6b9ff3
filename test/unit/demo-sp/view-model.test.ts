import { describe, expect, it } from 'vitest';
import { authenticationRows, claimRows, dataProviderPanel } from '../../../src/demo-sp/view-model.ts';

describe('demo SP view model', () => {
  it('lists known claims first in a fixed order, then the others, without the JWT envelope', () => {
    const rows = claimRows({
      iss: 'http://hub',
      aud: 'demo-sp',
      exp: 1,
      custom: { a: 1 },
      sub: 'abc',
      birthplace: '',
      given_name: 'Camille',
    });
    expect(rows.map((row) => row.name)).toEqual(['given_name', 'birthplace', 'sub', 'custom']);
    expect(rows.find((row) => row.name === 'birthplace')?.value).toBe('(vide)');
    expect(rows.find((row) => row.name === 'custom')?.value).toBe('{"a":1}');
  });

  it('shows auth_time as a date and marks absent acr and amr', () => {
    const rows = authenticationRows({ iss: 'http://hub', acr: undefined, amr: undefined, authTime: 0 });
    expect(Object.fromEntries(rows.map((row) => [row.name, row.value]))).toEqual({
      iss: 'http://hub',
      acr: '(absent)',
      amr: '(absent)',
      auth_time: '1970-01-01T00:00:00.000Z (0)',
    });
  });

  it("labels the data provider's known fields first, and shows a failure as its status and error", () => {
    const ok = dataProviderPanel({
      ok: true,
      resource: 'http://dp/v1/quotient-familial',
      fields: { extra: true, allocataire: 'abc', quotient_familial: 742 },
    });
    expect(ok).toEqual({
      resource: 'http://dp/v1/quotient-familial',
      rows: [
        { name: 'quotient_familial', label: 'Quotient familial', value: '742' },
        { name: 'allocataire', label: 'Allocataire (le sub de l’usager pour ce service)', value: 'abc' },
        { name: 'extra', label: 'extra', value: 'true' },
      ],
    });
    const failed = dataProviderPanel({
      ok: false,
      resource: 'http://dp/x',
      status: 401,
      error: 'invalid_token',
    });
    expect(failed).toEqual({ resource: 'http://dp/x', failure: 'HTTP 401 : invalid_token' });
    const silent = dataProviderPanel({
      ok: false,
      resource: 'http://dp/x',
      status: undefined,
      error: 'injoignable',
    });
    expect(silent).toMatchObject({ failure: 'aucune réponse : injoignable' });
  });
});
