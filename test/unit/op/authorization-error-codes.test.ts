// oidc-provider's own refusals at /authorize get a Relais code; the hub's own keep theirs.
import { describe, expect, it } from 'vitest';
import { codeAuthorizationError } from '../../../src/op/authorization-error-codes.ts';

const answer = (location: string, part: 'search' | 'hash' = 'search') =>
  Object.fromEntries(new URLSearchParams(new URL(location)[part].slice(1)));

describe('codeAuthorizationError', () => {
  it('leaves an error that already carries a code of the table as it is', () => {
    const location = `https://sp.example/cb?${new URLSearchParams({
      error: 'invalid_request',
      error_description: 'state is required [R1006]',
      state: 's',
    })}`;
    expect(codeAuthorizationError(location)).toBe(location);
  });

  it("names oidc-provider's openid scope refusal with the rule it matches (R1003)", () => {
    const location = codeAuthorizationError(
      'https://sp.example/cb?error=invalid_scope&error_description=openid+scope+must+be+requested&state=s',
    );
    expect(answer(location)).toEqual({
      error: 'invalid_scope',
      error_description: 'scope must contain openid: openid scope must be requested [R1003]',
      state: 's',
    });
  });

  it("codes oidc-provider's other refusals R1013, keeping its error and words", () => {
    const location = codeAuthorizationError(
      'https://sp.example/cb#error=invalid_request&error_description=plain+code_challenge_method+is+not+supported',
    );
    expect(answer(location, 'hash')).toEqual({
      error: 'invalid_request',
      error_description: 'plain code_challenge_method is not supported [R1013]',
    });
  });

  it('codes a description whose bracketed code is not one of the table', () => {
    const location = codeAuthorizationError(
      'https://sp.example/cb?error=invalid_request&error_description=bad+%5BR9999%5D',
    );
    expect(answer(location).error_description).toBe('bad [R9999] [R1013]');
  });
});
