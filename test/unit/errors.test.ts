// The error table's code, written at the end of an error_description and read back from it.
import { describe, expect, it } from 'vitest';
import { codeOf, ERRORS, type ErrorCode, isErrorCode, RelaisError, withCode } from '../../src/errors.ts';

const CODES = Object.keys(ERRORS) as ErrorCode[];

describe('codeOf', () => {
  it.each(CODES)('reads %s back from the description a RelaisError gives the SP', (code) => {
    expect(codeOf(new RelaisError(code).description)).toBe(code);
    expect(codeOf(new RelaisError(code, { detail: 'offline_access [R1005]' }).description)).toBe(code);
  });

  it('reads the code withCode wrote, whatever the words before it', () => {
    expect(codeOf(withCode('code_challenge_method must be S256', 'R1013'))).toBe('R1013');
    expect(codeOf(withCode('', 'R4001'))).toBe('R4001');
  });

  it.each([
    ['no description', undefined],
    ['an empty one', ''],
    ["oidc-provider's own words", 'openid scope must be requested'],
    ['a code not at the end', 'state is required [R1006] (more)'],
    ['a code followed by a space', 'state is required [R1006] '],
    ['a code without brackets', 'state is required R1006'],
    ['a code the table does not have', 'something [R9999]'],
    ['a lower-case code', 'state is required [r1006]'],
    ['a code of other digits', 'state is required [R10060]'],
  ])('finds none in %s', (_case, description) => {
    expect(codeOf(description)).toBeUndefined();
  });
});

describe('isErrorCode', () => {
  it('knows the codes of the table', () => {
    for (const code of CODES) expect(isErrorCode(code)).toBe(true);
  });

  it("refuses anything else, the object's inherited names included", () => {
    for (const value of ['R9999', 'r1001', '', 'toString', 'valueOf', 'constructor', '__proto__']) {
      expect(isErrorCode(value)).toBe(false);
    }
  });
});

describe('withCode', () => {
  it('puts the code last, in brackets, as the SP reads it', () => {
    expect(withCode('the user cancelled the login', 'R4001')).toBe('the user cancelled the login [R4001]');
    expect(new RelaisError('R1005', { detail: 'offline_access' }).description).toBe(
      'a requested scope is not authorised for this client: offline_access [R1005]',
    );
  });
});
