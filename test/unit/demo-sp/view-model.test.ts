import { describe, expect, it } from 'vitest';
import { authenticationRows, claimRows } from '../../../src/demo-sp/view-model.ts';

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
});
